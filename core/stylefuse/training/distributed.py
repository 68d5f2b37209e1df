"""DistributedDataParallel set-up for `torchrun --nproc_per_node=N` (gloo on CPU, nccl on GPU).

`device` is the train command's --device (auto|cpu|cuda|cuda:N); under torchrun a CUDA choice
puts each rank on cuda:LOCAL_RANK.
"""

import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .device import training_device


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: str = "auto") -> DistInfo:
    """The process's rank and device (a UserError, before anything is set up, if CUDA is asked for and absent)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        dev = training_device(device)
        if dev.type == "cuda":
            torch.cuda.set_device(dev)
        return DistInfo(device=dev)
    rank = int(os.environ["RANK"])
    dev = training_device(device, int(os.environ.get("LOCAL_RANK", "0")))
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
        dist.init_process_group("nccl")
    else:
        dist.init_process_group("gloo")
    return DistInfo(rank, world, dev)


def wrap(module: torch.nn.Module, info: DistInfo, find_unused: bool = False) -> torch.nn.Module:
    if not info.enabled:
        return module
    ids = [info.device.index] if info.device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(
        module, device_ids=ids, find_unused_parameters=find_unused
    )


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    return module.module if hasattr(module, "module") else module


def shutdown(info: DistInfo, together: bool) -> None:
    """Tear the process group down. `together`: every rank got here the same way (finished or agreed to stop).

    Then the ranks wait for each other first: rank 0 exports the model after the last collective
    call, and a rank that destroys its gloo group while its peer is still busy can die of SIGABRT
    ("terminate called without an active exception") on a loaded machine. After a rank-local error
    the peers never arrive, so there is no waiting then: torchrun stops them.
    The DistributedDataParallel wrappers sit in reference cycles; collecting them now ends their
    gloo work while the interpreter is whole, not in its teardown (another SIGABRT path).
    """
    if not (info.enabled and dist.is_initialized()):
        return
    gc.collect()
    if together:
        # nccl's barrier needs this rank's GPU named, or it guesses (and warns)
        dist.barrier(device_ids=[info.device.index] if info.device.type == "cuda" else None)
    dist.destroy_process_group()
