#!/usr/bin/env bash
# GPU smoke check of saro (docs/gpu.md): LoRA SFT and DPO in bf16 through `accelerate launch`,
# and the hf engine on CUDA with a prefill and budget forcing, on a tiny random Llama, in about a
# minute. Meant for a machine whose image has torch, transformers, accelerate and peft but not
# trl, datasets or gguf and cannot download: it installs those from .gpu-wheels/ (built here by
# `make gpu-wheels`) into /tmp/site and runs saro from src/ without installing it.
# Without a CUDA device it prints SKIP and exits 0. Output: $SMOKE_OUT (default smoke-out/).
#   bash scripts/gpu_smoke.sh                 # on the GPU machine, from the repository root
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "SKIP: no CUDA device here (no torch, or torch.cuda.is_available() is False)"
    exit 0
fi
missing=$("$PY" - <<'PYEOF'
import importlib.util
print(" ".join(m for m in ("trl", "datasets", "gguf") if importlib.util.find_spec(m) is None))
PYEOF
)
if [ -n "$missing" ]; then
    ls .gpu-wheels/*.whl >/dev/null 2>&1 || { echo "missing: $missing, and no .gpu-wheels/ (run make gpu-wheels where pip works)"; exit 1; }
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .gpu-wheels/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD/src:${PYTHONPATH:-}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$PY" scripts/gpu_smoke.py --device cuda --out "${SMOKE_OUT:-smoke-out}"
