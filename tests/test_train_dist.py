"""Scale-out: the same SFT stage as two CPU processes (torch.distributed over gloo)."""

import json
import os
import socket
import subprocess
import sys

import yaml

from train_helpers import read_metrics, sft_values


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sft_runs_as_two_gloo_processes(tmp_path, tiny_model_dir):
    out = tmp_path / "rw-ddp"
    config = tmp_path / "sft.yaml"
    config.write_text(yaml.safe_dump(sft_values(tiny_model_dir, out, max_steps=2)))
    cmd = [
        sys.executable, "-m", "torch.distributed.run",
        "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
        "-m", "saro.cli", "train", "sft", "--config", str(config),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=170, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "done" and run["world_size"] == 2
    steps = [r for r in read_metrics(out) if "loss" in r]
    assert [r["step"] for r in steps] == [1, 2]  # logged once, by rank 0
    # 6 examples, 2 per process per step: one step covers 4 of them
    assert steps[0]["epoch"] == 0.5
    assert (out / "model.safetensors").exists()
