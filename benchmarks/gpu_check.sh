#!/usr/bin/env bash
# The GPU check (docs/gpu.md): on a machine with a CUDA GPU and a CUDA build of torch, in < 8 minutes,
#   1. train a style model for 50 steps with --device cuda
#   2. stylize and fuse with --device cuda and --device cpu; max abs difference in [0, 1] units <= 1e-3
#   3. export the default style model to every format (torchscript, onnx, export)
#   4. MP/s of the default style model's generator on the GPU, fp32 and fp16
#   5. stylize --method synthesis at 512 x 512 on CUDA and on the CPU (seconds)
#
#   bash benchmarks/gpu_check.sh [OUT_DIR]      # default ./gpu-check-<UTC time>; the log is OUT_DIR/gpu_check.log
#
# Without a CUDA device it stops at once (exit 2) with one line saying so. The tests and CI never need
# it (tests/unit/test_gpu_check.py checks only that refusal). Environment: PYTHON (default .venv/bin/python,
# else python3), GPU_CHECK_DEVICE (default cuda; e.g. cuda:1).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
    if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3 || true)"; fi
fi
DEVICE="${GPU_CHECK_DEVICE:-cuda}"
TOLERANCE=1e-3
DEADLINE_S=480

die() { printf 'gpu_check: %s\n' "$*" >&2; exit 2; }
[[ -n "$PY" && -x "$PY" ]] || die "no Python found (set PYTHON=/path/to/python with torch and stylefuse installed)"
"$PY" -c 'import torch, stylefuse' 2>/dev/null || die "$PY cannot import torch and stylefuse (install the project first: ./scripts/setup)"

# Fail fast: no CUDA device, no check.
if ! CUDA_INFO="$("$PY" - "$DEVICE" <<'EOF' 2>&1
import sys
import torch
dev = sys.argv[1]
if not dev.startswith("cuda") or not torch.cuda.is_available():
    sys.exit(f"no CUDA device (torch {torch.__version__}, CUDA build {torch.version.cuda}, "
             f"torch.cuda.is_available() = {torch.cuda.is_available()}): this check needs a CUDA GPU; nothing was run")
index = int(dev.split(":")[1]) if ":" in dev else 0
if index >= torch.cuda.device_count():
    sys.exit(f"no CUDA device {dev} (this machine has {torch.cuda.device_count()}); nothing was run")
p = torch.cuda.get_device_properties(index)
print(f"{p.name}, {p.total_memory / 2**30:.0f} GiB, compute {p.major}.{p.minor}; torch {torch.__version__}, "
      f"CUDA {torch.version.cuda}")
EOF
)"; then
    die "$(printf '%s\n' "$CUDA_INFO" | tail -n 1)"
fi

STYLEFUSE="$(dirname "$PY")/stylefuse"
[[ -x "$STYLEFUSE" ]] || STYLEFUSE="$(command -v stylefuse || true)"
[[ -n "$STYLEFUSE" ]] || die "no stylefuse command beside $PY"
OUT="${1:-$PWD/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT" || die "cannot create $OUT"
OUT="$(cd "$OUT" && pwd)"
LOG="$OUT/gpu_check.log"
exec > >(tee -a "$LOG") 2>&1
export STYLEFUSE_MODELS="$OUT/models"   # the trained model lands here, not in your model folder
EX="$ROOT/core/stylefuse/examples"
START=$(date +%s)
FAILED=()

say() { printf '\n== %s  (%ds)\n' "$*" "$(( $(date +%s) - START ))"; }
step() {  # step NAME CMD...: run, note a failure, go on with the next step
    local name="$1"; shift
    say "$name"
    if (( $(date +%s) - START > DEADLINE_S )); then
        echo "gpu_check: skipped $name: past the ${DEADLINE_S}s budget"; FAILED+=("$name (no time)"); return
    fi
    if ! "$@"; then echo "gpu_check: FAILED: $name"; FAILED+=("$name"); fi
}

echo "gpu_check $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname): $CUDA_INFO"
echo "device $DEVICE; stylefuse $("$PY" -c 'import stylefuse; print(stylefuse.__version__)'); out $OUT"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

# float32 inputs in [0, 1]: the outputs are float too, so CPU and GPU compare without 8-bit rounding
"$PY" - "$EX" "$OUT" <<'EOF' || die "could not prepare the inputs"
import sys
import numpy as np
import tifffile
from PIL import Image
ex, out = sys.argv[1:]
def unit(name, mode):
    return np.asarray(Image.open(f"{ex}/{name}").convert(mode), np.float32) / 255.0
tifffile.imwrite(f"{out}/content.tif", unit("chelsea.png", "RGB"))
tifffile.imwrite(f"{out}/t1.tif", unit("brain_t1.png", "L"))
tifffile.imwrite(f"{out}/pd.tif", unit("brain_pd.png", "L"))
Image.open(f"{ex}/chelsea.png").convert("RGB").resize((512, 512), Image.BICUBIC).save(f"{out}/content512.png")
EOF

train() {
    if ! "$STYLEFUSE" train --help | grep -q -- "--device"; then
        echo "gpu_check: this stylefuse's train command has no --device option yet: training on the GPU is not wired"
        return 1
    fi
    "$STYLEFUSE" train --task style --style "$EX/udnie.jpg" --content "$EX/chelsea.png" --steps 50 --crop 256 \
        --batch 4 --name gpu-check --run-dir "$OUT/run" --log-every 10 --device "$DEVICE"
}

compare() {  # compare A B: max abs difference of two float images, <= TOLERANCE
    "$PY" - "$1" "$2" "$TOLERANCE" <<'EOF'
import sys
import numpy as np
import tifffile
a, b = (tifffile.imread(p).astype(np.float64) for p in sys.argv[1:3])
diff = float(np.abs(a - b).max()) if a.shape == b.shape else float("inf")
ok = diff <= float(sys.argv[3])
print(f"max abs diff {sys.argv[1].rsplit('/', 1)[-1]} vs {sys.argv[2].rsplit('/', 1)[-1]}: {diff:.3g} "
      f"(shape {a.shape}, tolerance {sys.argv[3]}): {'ok' if ok else 'TOO LARGE'}")
sys.exit(0 if ok else 1)
EOF
}

stylize_both() {
    "$STYLEFUSE" stylize "$OUT/content.tif" -s udnie --device "$DEVICE" -o "$OUT/style_gpu.tif" &&
        "$STYLEFUSE" stylize "$OUT/content.tif" -s udnie --device cpu -o "$OUT/style_cpu.tif" &&
        compare "$OUT/style_gpu.tif" "$OUT/style_cpu.tif"
}

fuse_both() {
    "$STYLEFUSE" fuse "$OUT/t1.tif" "$OUT/pd.tif" --device "$DEVICE" -o "$OUT/fused_gpu.tif" &&
        "$STYLEFUSE" fuse "$OUT/t1.tif" "$OUT/pd.tif" --device cpu -o "$OUT/fused_cpu.tif" &&
        compare "$OUT/fused_gpu.tif" "$OUT/fused_cpu.tif"
}

export_all() {
    "$STYLEFUSE" export udnie -o "$OUT/export/udnie" --format all && ls -l "$OUT/export/udnie"
}

throughput() {  # MP/s of the generator's tile call (the default style model), fp32 and fp16, CUDA events
    "$PY" - "$DEVICE" <<'EOF'
import sys
import torch
from stylefuse.registry import default_model_name, load_model
dev = torch.device(sys.argv[1])
name = default_model_name("style")
model = load_model(name, "style", device=dev)
side, batch, reps = 1024, 2, 20
for dtype in (torch.float32, torch.float16):
    module = model.module if dtype == torch.float32 else model.module.half()
    x = torch.rand(batch, model.channels, side, side, device=dev, dtype=dtype)
    code = module.default_style(batch).to(dtype)
    with torch.inference_mode():
        for _ in range(3):
            module.forward_code(x, code)
        torch.cuda.synchronize(dev)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(reps):
            out = module.forward_code(x, code)
        end.record()
        torch.cuda.synchronize(dev)
    seconds = start.elapsed_time(end) / 1000 / reps
    finite = bool(torch.isfinite(out).all())
    print(f"{name} {str(dtype).removeprefix('torch.')}: {batch * side * side / 1e6 / seconds:.1f} MP/s "
          f"({batch} x {side}x{side}, {seconds * 1000:.1f} ms/call, finite: {finite})")
EOF
}

synthesis() {
    local dev t0 t1
    for dev in "$DEVICE" cpu; do
        t0=$(date +%s.%N)
        "$STYLEFUSE" stylize "$OUT/content512.png" --method synthesis -s "$EX/udnie.jpg" --device "$dev" \
            -o "$OUT/synthesis_${dev//:/}.png" || return 1
        t1=$(date +%s.%N)
        "$PY" -c "print(f'synthesis 512x512 on $dev: {$t1 - $t0:.1f} s')"
    done
}

step "1. train 50 steps on $DEVICE" train
step "2a. stylize on $DEVICE vs cpu" stylize_both
step "2b. fuse on $DEVICE vs cpu" fuse_both
step "3. export udnie to every format" export_all
step "4. generator MP/s fp32/fp16 on $DEVICE" throughput
step "5. synthesis 512x512 on $DEVICE vs cpu" synthesis

say "done"
if ((${#FAILED[@]})); then
    echo "gpu_check: FAILED steps: ${FAILED[*]}  (log: $LOG)"
    exit 1
fi
echo "gpu_check: all steps passed (log: $LOG)"
