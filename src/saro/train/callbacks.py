"""Trainer callbacks: the incremental ``metrics.jsonl`` of a run.

Every ``Trainer.log`` call (train losses, learning rate, TRL's DPO ``rewards/*`` and ``logps/*``,
per-level eval metrics such as ``eval_process_rewards/accuracies``) becomes one JSON line, flushed
at once, so the curves of a killed run survive and ``saro report`` can plot them (the paper's
Fig. 4). On resume, lines past the checkpoint's step are dropped first, so no step appears twice.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from saro.store import JsonlAppender, read_jsonl, write_jsonl

METRICS_FILE = "metrics.jsonl"


class MetricsJsonlCallback(TrainerCallback):
    """Append each log record (with step, epoch, stage and wall time) to ``metrics.jsonl``."""

    def __init__(self, output_dir: str | Path, *, stage: str):
        self.path = Path(output_dir) / METRICS_FILE
        self.stage = stage
        self._out: JsonlAppender | None = None
        self._t0 = time.monotonic()

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        if self.path.exists():  # resuming: forget what was logged after the checkpoint
            kept = [r for r in read_jsonl(self.path) if r.get("step", 0) <= state.global_step]
            write_jsonl(self.path, kept)
        self._out = JsonlAppender(self.path)

    def on_log(self, args, state, control, logs: dict[str, Any] | None = None, **kwargs):
        if not state.is_world_process_zero or not logs:
            return
        if self._out is None:  # evaluate() called outside train()
            self._out = JsonlAppender(self.path)
        record = {
            "step": state.global_step,
            "epoch": state.epoch,
            "stage": self.stage,
            "time": round(time.monotonic() - self._t0, 3),
        }
        record.update({k: _clean(v) for k, v in name_eval_metrics(logs).items()})
        self._out.write(record)

    def on_train_end(self, args, state, control, **kwargs):
        if self._out is not None:
            self._out.close()
            self._out = None


def name_eval_metrics(logs: dict[str, Any]) -> dict[str, Any]:
    """Put the eval set's name into every metric of its log record.

    With several eval sets, ``Trainer`` prefixes its own keys (``eval_process_loss``) but TRL
    adds its metrics as plain ``eval_rewards/accuracies``, so the per-level records could not be
    told apart. The name is read off the ``eval_<name>_runtime`` key of the same record.
    """
    names = [
        k[len("eval_") : -len("_runtime")]
        for k in logs
        if k.startswith("eval_") and k.endswith("_runtime") and k != "eval_runtime"
    ]
    if len(names) != 1:
        return logs
    prefix = f"eval_{names[0]}_"
    return {
        (k if k.startswith(prefix) or not k.startswith("eval_") else prefix + k[len("eval_") :]): v
        for k, v in logs.items()
    }


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: write them as null; keep other values JSON-able."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        json.dumps(value)
    except TypeError:
        return str(value)
    return value
