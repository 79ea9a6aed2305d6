"""scripts/analysis/heldout_rewards.py: held-out DPO reward accuracy per arm, recomputed pair by
pair on each arm's own held-out pairs and on the pairs every arm held out."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("one_thread")


def _pairs(path: Path, n: int, level: str) -> None:
    rows = [
        {"prompt": [{"role": "user", "content": f"question {i}?"}],
         "chosen": f"A helpful answer {i}.", "rejected": f"No {i}.", "level": level,
         "family": f"{level}-{i}"}
        for i in range(n)
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_each_arm_scored_on_its_own_and_the_common_held_out_pairs(tmp_path, tiny_model_dir):
    run = tmp_path / "run"
    _pairs(tmp_path / "outcome.jsonl", 10, "outcome")
    _pairs(tmp_path / "process.jsonl", 5, "process")
    for arm, files in (("a", ["outcome.jsonl", "process.jsonl"]), ("b", ["outcome.jsonl"])):
        shutil.copytree(tiny_model_dir, run / "models" / arm)
        config = {"train_files": [str(tmp_path / f) for f in files], "max_length": 64,
                  "max_train_samples": None, "seed": 0, "eval_fraction": 0.2, "beta": 0.1,
                  "model_name_or_path": str(tiny_model_dir)}  # fmt: skip
        (run / "models" / arm / "run.json").write_text(json.dumps({"config": config}))
    done = subprocess.run(
        [sys.executable, "scripts/analysis/heldout_rewards.py", "--run", str(run),
         "--models", "a", "b"], check=False, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads((run / "analysis" / "heldout_rewards.json").read_text())
    a, b = got["models"]["a"], got["models"]["b"]
    assert a["own_outcome"]["n"] == 2 and a["own_process"]["n"] == 1  # a fifth of each level
    assert b["own_outcome"]["n"] == 2 and "own_process" not in b
    assert 0 <= got["common_pairs"] <= 2
    # each arm *is* its reference here: every reward margin is exactly 0, so no pair counts as
    # ranked right (a margin must be positive)
    assert all(cell["correct"] == 0 for res in (a, b) for cell in res.values())
