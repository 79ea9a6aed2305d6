"""The GPU smoke check (scripts/gpu_smoke.sh, scripts/gpu_smoke.py): it skips cleanly without a
GPU, and its steps pass on the CPU (slow), so the script a GPU session will run is known to work
up to the device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_without_a_gpu_the_smoke_check_skips_with_status_0(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "SMOKE_OUT": str(tmp_path)}
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_smoke.sh")], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout.startswith("SKIP: no CUDA device")


def test_the_wheel_list_is_the_missing_closure_and_small():
    sys.path.insert(0, str(ROOT / "scripts"))
    import gpu_wheels

    needed = gpu_wheels.closure(gpu_wheels.WANT) - gpu_wheels.closure(gpu_wheels.HAVE)
    needed -= gpu_wheels.IMAGE_HAS
    assert {"trl", "datasets", "gguf"} <= needed
    assert not needed & {"torch", "transformers", "accelerate", "peft", "pyarrow", "pandas"}


@pytest.mark.slow
def test_every_smoke_step_passes_on_the_cpu(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gpu_smoke.py"), "--device", "cpu", "--out",
         str(tmp_path)], capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "smoke.json").read_text())
    assert result["ok"] and len(result["checks"]) == 9
