"""The training loop: alternating D/G steps, checkpoints, TensorBoard, validation, export."""

import os
import signal
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F

from ..data import (
    MixedFusionBatches,
    PairBatches,
    PairedStyleBatches,
    StyleBatches,
    SyntheticPairBatches,
    informative,
    list_images,
    load_image_tensor,
    load_slices,
    load_target_pairs,
    paired_files,
    skimage_photos,
    step_generator,
    take_part,
)
from ..data.tone_curves import parse_families
from ..errors import UserError
from ..export import export_generator
from ..losses.image_ops import luminance, psnr, ssim
from ..models import build_discriminator, build_generator
from ..pipeline.palette import quantiles
from ..registry import user_models_dir, validate_model_name
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .config import TrainConfig
from .device import autocast, check_amp, device_generator, grad_scaler, to_device
from .distributed import DistInfo, init_distributed, shutdown, wrap
from .steps import build_task_loss, d_step_loss, g_step_loss, real_images_for_d

KEEP_CHECKPOINTS = 3
VAL_STEP = 10**9  # batches are functions of the step: a step never trained on gives a fixed val set


class TrainingInterrupted(Exception):
    def __init__(self, step: int, checkpoint: Path | None):
        super().__init__(
            f"training interrupted at step {step}"
            + (f"; checkpoint saved to {checkpoint}" if checkpoint else "")
        )
        self.step, self.checkpoint = step, checkpoint


def default_run_dir(name: str) -> Path:
    return user_models_dir().parent / "runs" / name


def fit_long_side(img: torch.Tensor, side: int) -> torch.Tensor:
    """Downscale a C x H x W image (area filter) so its long side is at most `side` (0: unchanged)."""
    long_side = max(img.shape[-2:])
    if not side or long_side <= side:
        return img
    size = [max(1, round(d * side / long_side)) for d in img.shape[-2:]]
    return F.interpolate(img[None], size=size, mode="area")[0]


def load_data(cfg: TrainConfig):
    if cfg.task == "style":
        styles = [fit_long_side(load_image_tensor(p, 3), cfg.style_side) for p in list_images(cfg.style)]
        # --split applies to each content folder too, so held-out photos stay unseen.
        files = [
            f
            for p in cfg.content
            for f in (take_part(list_images([p]), cfg.split) if Path(p).is_dir() else list_images([p]))
        ]
        if cfg.targets:
            pairs, missing = load_target_pairs(files, cfg.targets, list_images(cfg.style))
            if missing:  # a target folder still being written (the script resumes) trains on what is there
                print(
                    f"--targets: {missing} of {len(files)} content photos have no target in {cfg.targets}; "
                    f"training on the other {len(pairs)}",
                    file=sys.stderr,
                )
            return PairedStyleBatches(
                pairs, styles, cfg.crop, cfg.batch, cfg.seed, palette=not cfg.no_palette
            ), styles
        contents = [s for f in files for s in informative(load_slices(f, 3, cfg.slice_axis))]
        return StyleBatches(
            contents, styles, cfg.crop, cfg.batch, cfg.seed, palette=not cfg.no_palette
        ), styles
    pairs = []
    for spec in cfg.pairs:
        dir_a, dir_b = spec.split(":")
        for fa, fb in take_part(paired_files(dir_a, dir_b), cfg.split):
            slices_a, slices_b = load_slices(fa, 1, cfg.slice_axis), load_slices(fb, 1, cfg.slice_axis)
            shape_a, shape_b = [tuple(s.shape) for s in slices_a], [tuple(s.shape) for s in slices_b]
            if shape_a != shape_b:
                raise UserError(
                    f"pair {fa.name}: {fa} and {fb} differ in shape ({len(slices_a)} x "
                    f"{shape_a[0][1:]} vs {len(slices_b)} x {shape_b[0][1:]})"
                )
            pairs += [(a, b) for a, b in zip(slices_a, slices_b, strict=True) if float((a + b).max()) > 1e-3]
    if not (cfg.synthetic or cfg.synthetic_skimage):
        return PairBatches(pairs, cfg.crop, cfg.batch, cfg.seed), []
    return mixed_fusion_batches(cfg, pairs), []


def synthetic_photos(cfg: TrainConfig) -> list[torch.Tensor]:
    """The photos synthetic pairs are made from: --synthetic files/folders (--split applies to folders), RGB."""
    files = [
        f
        for p in cfg.synthetic
        for f in (take_part(list_images([p]), cfg.split) if Path(p).is_dir() else list_images([p]))
    ]
    photos = [load_image_tensor(f, 3) for f in files]
    names = [n.strip() for n in cfg.synthetic_skimage.split(",") if n.strip()]
    return photos + skimage_photos(names)


def mixed_fusion_batches(cfg: TrainConfig, pairs) -> MixedFusionBatches:
    n_syn = cfg.batch if not pairs else max(1, min(cfg.batch - 1, round(cfg.batch * cfg.synthetic_fraction)))
    n_real = cfg.batch - n_syn
    real = PairBatches(pairs, cfg.crop, n_real, cfg.seed) if pairs and n_real else None
    families = parse_families(cfg.exposure_families)
    synthetic = SyntheticPairBatches(
        synthetic_photos(cfg), cfg.crop, n_syn, cfg.seed, families, cfg.exposure_degrade
    )
    return MixedFusionBatches(real, synthetic, n_real)


def unpack_batch(batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """(a, b) or (a, b, truth, supervised rows) -> always the four (None where there is no truth)."""
    if len(batch) == 4:
        return batch[0], batch[1], batch[2], batch[3]
    return batch[0], batch[1], None, None


def validation_metrics(
    cfg: TrainConfig, gen_model, x, y, truth=None, rows=None
) -> tuple[dict[str, float], torch.Tensor]:
    with torch.no_grad():
        fake = gen_model(x, y)
        if cfg.task == "style":
            # How much content structure survives the stylisation.
            metrics = {
                "psnr_to_content": psnr(luminance(fake), luminance(x)).item(),
                "ssim_to_content": ssim(luminance(fake), luminance(x)).item(),
            }
        else:
            metrics = {
                "psnr_to_max": psnr(fake, torch.maximum(x, y)).item(),
                "ssim_sum": (ssim(fake, x) + ssim(fake, y)).item(),
            }
            if truth is not None and rows is not None and bool(rows.any()):
                metrics["psnr_to_truth"] = psnr(fake[rows], truth[rows]).item()
                metrics["ssim_to_truth"] = ssim(fake[rows], truth[rows]).item()
    grid = torch.cat([x[:2], y[:2], fake[:2]], dim=3)  # rows: samples; columns: input, reference, output
    grid = torch.cat(list(grid.expand(-1, 3, -1, -1)), dim=1)
    return metrics, grid


class _StopFlag:
    """Ctrl-C / SIGTERM ask the loop to stop after the current step (and save a checkpoint)."""

    def __init__(self):
        self.requested = False
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (e.g. napari worker): the caller cancels instead
                pass
        return self

    def _handle(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _agree(flag: bool, info: DistInfo) -> bool:
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=info.device)  # nccl reduces only CUDA tensors
    dist.all_reduce(t)
    return bool(t.item() > 0)


def train(cfg: TrainConfig, resume: bool = False, progress=None, should_stop=None) -> Path | None:
    """Run (or resume) training; returns the exported model folder (on rank 0)."""
    cfg.validate()
    validate_model_name(cfg.name)
    info = init_distributed(cfg.device)  # CUDA asked for and absent: a UserError before anything is written
    together = False
    try:
        result = _train(cfg, info, resume, progress, should_stop)
        together = True
        return result
    except TrainingInterrupted:
        together = True  # every rank agreed to stop at the same step
        raise
    finally:
        shutdown(info, together)


def _train(cfg: TrainConfig, info: DistInfo, resume: bool, progress, should_stop) -> Path | None:
    check_amp(cfg.amp, info.device)
    device = info.device
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True)
    run_dir = Path(cfg.run_dir) if cfg.run_dir else default_run_dir(cfg.name)
    out_dir = Path(cfg.out_dir) if cfg.out_dir else user_models_dir() / cfg.name

    batches, styles = load_data(cfg)
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank and every run
    gen_model = build_generator(cfg.task, **cfg.generator_config()).to(device)
    disc = build_discriminator(gen_model.channels, n_scales=cfg.d_scales, base=cfg.d_base).to(device)
    task_loss = build_task_loss(cfg).to(device)  # random-feature nets and other buffers
    scaler = grad_scaler(cfg.amp, device)
    opt_g = torch.optim.Adam(gen_model.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))

    start = 0
    if resume:
        ckpt_path = latest_checkpoint(run_dir)
        if ckpt_path is None:
            raise UserError(f"--resume: no checkpoint in {run_dir / 'checkpoints'}")
        state = load_checkpoint(ckpt_path, device)  # saved on the CPU; resumes on this run's device
        gen_model.load_state_dict(state["generator"])
        disc.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])  # optimiser state follows the parameters' device
        opt_d.load_state_dict(state["opt_d"])
        if "scaler" in state and cfg.amp:
            scaler.load_state_dict(state["scaler"])
        torch.set_rng_state(state["torch_rng"].cpu())
        start = int(state["step"])
    # The generator's noise projection gets no gradient in steps without noise (z is optional).
    g_ddp, d_ddp = wrap(gen_model, info, find_unused=True), wrap(disc, info)

    writer = None
    if info.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "config.json").write_text(cfg.to_json())
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tb"), purge_step=start if resume else None)

    def checkpoint(step: int) -> Path | None:
        if not info.is_main:
            return None
        state = {
            "step": step,
            "generator": gen_model.state_dict(),
            "discriminator": disc.state_dict(),
            "opt_g": opt_g.state_dict(),
            "opt_d": opt_d.state_dict(),
            "torch_rng": torch.get_rng_state(),
            "config": cfg.to_json(),
            "device": str(device),
        }
        if cfg.amp:
            state["scaler"] = scaler.state_dict()
        ckpt_dir = run_dir / "checkpoints"
        path = ckpt_dir / f"step_{step:06d}.pt"
        save_checkpoint(path, state)
        save_checkpoint(ckpt_dir / "last.pt", state)
        for old in sorted(ckpt_dir.glob("step_*.pt"))[:-KEEP_CHECKPOINTS]:
            old.unlink(missing_ok=True)
        return path

    val_x, val_y, val_truth, val_rows = unpack_batch(to_device(batches(VAL_STEP, 0), device))
    bar = None
    if info.is_main and progress is None:
        from tqdm import tqdm

        bar = tqdm(
            total=cfg.steps,
            initial=start,
            desc=f"train {cfg.task} {cfg.name}",
            unit="step",
            dynamic_ncols=True,
            disable=not sys.stderr.isatty() and os.environ.get("STYLEFUSE_PROGRESS") != "1",
        )
    t0 = time.time()
    step = start
    with _StopFlag() as stop:
        g_ddp.train()
        d_ddp.train()
        while step < cfg.steps:
            x, y, truth, rows = unpack_batch(to_device(batches(step, info.rank), device))
            gen = device_generator(step_generator(cfg.seed, step, info.rank, stream=1), device)
            with autocast(cfg.amp, device):
                fake = g_ddp(x, y)
            loss_d = None
            if cfg.adv_weight > 0:
                with autocast(cfg.amp, device):
                    loss_d = d_step_loss(
                        d_ddp, real_images_for_d(cfg, x, y, truth, rows), fake, cfg.adversarial
                    )
                opt_d.zero_grad(set_to_none=True)
                scaler.scale(loss_d).backward()
                scaler.step(opt_d)
            with autocast(cfg.amp, device):
                terms = g_step_loss(
                    cfg, task_loss, d_ddp if cfg.adv_weight > 0 else None, fake, x, y, gen, truth, rows
                )
            opt_g.zero_grad(set_to_none=True)
            scaler.scale(terms["total"]).backward()
            scaler.step(opt_g)
            scaler.update()  # one update per step for both optimisers (disabled scaler: plain steps)
            step += 1

            if writer is not None and (step % cfg.log_every == 0 or step == cfg.steps):
                for k, v in terms.items():
                    writer.add_scalar(f"loss_g/{k}", v.item(), step)
                if loss_d is not None:
                    writer.add_scalar("loss_d", loss_d.item(), step)
            if writer is not None and (step % cfg.val_every == 0 or step == cfg.steps):
                gen_model.eval()
                metrics, grid = validation_metrics(cfg, gen_model, val_x, val_y, val_truth, val_rows)
                gen_model.train()
                for k, v in metrics.items():
                    writer.add_scalar(f"val/{k}", v, step)
                writer.add_image("val/input_reference_output", grid.clamp(0, 1).cpu(), step)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(
                    g=f"{terms['total'].item():.3f}", d=f"{loss_d.item():.3f}" if loss_d is not None else "-"
                )
            if progress is not None and info.is_main:
                progress(step, cfg.steps)
            if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                checkpoint(step)
            if cfg.time_budget_s and _agree(time.time() - t0 > cfg.time_budget_s, info):
                break
            wants_stop = stop.requested or bool(should_stop and should_stop())
            if _agree(wants_stop, info) and step < cfg.steps:
                path = checkpoint(step)
                if writer is not None:
                    writer.close()
                if bar is not None:
                    bar.close()
                raise TrainingInterrupted(step, path)
    if bar is not None:
        bar.close()
    wall = time.time() - t0
    checkpoint(step)
    if not info.is_main:
        return None
    gen_model.eval()
    metrics, _ = validation_metrics(cfg, gen_model, val_x, val_y, val_truth, val_rows)
    writer.close()
    gen_model.cpu()  # export (TorchScript, the default style) on the CPU: the artefact loads anywhere
    if cfg.task == "style" and len(styles) == 1:
        ref = styles[0][None]
        scale = 512 / max(ref.shape[-2:])
        if scale < 1:
            ref = F.interpolate(ref, scale_factor=scale, mode="area")
        gen_model.set_default_style(ref)
    card_extra = {}
    if cfg.task == "style" and len(styles) == 1 and not cfg.no_palette:
        card_extra["palette"] = quantiles(styles[0].permute(1, 2, 0).numpy()).round(5).tolist()
    card_extra |= {
        "description": _describe(cfg, len(styles)),
        "training": {
            "command": cfg.command,
            "config": cfg.__dict__ | {},
            "steps": step,
            "wall_time_s": round(wall, 1),
            "world_size": info.world_size,
            "device": str(device),
            "amp": cfg.amp,
            "run_dir": str(run_dir),
        },
        "metrics": {"validation": metrics},
    }
    return export_generator(gen_model, out_dir, cfg.name, card_extra)


def _describe(cfg: TrainConfig, n_styles: int = 1) -> str:
    if cfg.task == "style":
        kind = "single-style" if n_styles == 1 else f"arbitrary-style ({n_styles} styles)"
        return f"{kind} model trained on {', '.join(Path(s).name for s in cfg.style)}"
    pairs = []
    for spec in cfg.pairs:
        a, b = (Path(part) for part in spec.split(":"))
        pairs.append(f"{a.parent.name}/{a.name}+{b.name}" if a.parent == b.parent else f"{a}+{b}")
    split = "" if cfg.split == "all" else f" ({cfg.split} of each)"
    text = "fusion model trained on " + ", ".join(pairs) + split
    if cfg.synthetic or cfg.synthetic_skimage:
        photos = [f"{Path(p).parent.name}/{Path(p).name}" for p in cfg.synthetic] + [
            f"scikit-image {n.strip()}" for n in cfg.synthetic_skimage.split(",") if n.strip()
        ]
        text += (
            f", with multi-focus/multi-exposure pairs made from {', '.join(photos)}"
            f"{split if cfg.synthetic else ''} (supervised by the original)"
        )
    return text
