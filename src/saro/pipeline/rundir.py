"""The run directory (docs/rundir.md) and its ``run.json``: resolved config, versions, stages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saro import __version__
from saro.config import to_dict
from saro.errors import SaroError
from saro.pipeline.config import RunConfig
from saro.pipeline.roster import arm
from saro.security import redact
from saro.store import write_json


class Run:
    """A run directory plus its config; stages read and write through it (never change it)."""

    def __init__(self, cfg: RunConfig, out: str | Path, *, progress: bool = True):
        self.cfg = cfg
        self.dir = Path(out)
        self.progress = progress

    def path(self, *parts: str) -> Path:
        return self.dir.joinpath(*parts)

    def model_path(self, key: str) -> str:
        """Where arm ``key``'s model is: the base model's name, or ``models/<key>``."""
        return self.cfg.base_model if not arm(key).trained else str(self.path("models", key))

    # -- bookkeeping ----------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        f = self.path("run.json")
        return json.loads(f.read_text()) if f.exists() else {}

    def save_state(self, state: dict[str, Any]) -> None:
        write_json(self.path("run.json"), state)

    def init_state(self) -> list[str] | None:
        """Record the config, versions and wheels; return the arms recorded before (None for a
        new run).

        A run resumes under a config that differs only in the estimates (``throughput``) or
        that adds arms (``arms`` a superset of the recorded one: the new arms' stages run, the
        finished ones stay). Any other difference is refused.
        """
        from saro.wheels import WHEELS

        state = self.state()
        resolved = redact(to_dict(self.cfg))
        recorded: list[str] | None = None
        if state.get("config") is not None:
            before, now = _results_part(state["config"]), _results_part(resolved)
            old_arms, new_arms = before.pop("arms", None) or [], now.pop("arms", None) or []
            if before != now:
                raise SaroError(
                    f"{self.dir} holds a run of a different config.",
                    "Use another --out, or delete the directory to start over.",
                )
            dropped = [a for a in old_arms if a not in new_arms]
            if dropped:
                raise SaroError(
                    f"{self.dir} holds a run with arms {', '.join(dropped)}, which this config "
                    "leaves out.",
                    "Add them back to `arms` (a run can grow, not shrink), or use another --out.",
                )
            recorded = list(old_arms)
        state.setdefault("stages", {})
        state.update(
            config=resolved,
            seed=self.cfg.seed,
            split_seed=self.cfg.split_seed,
            saro_version=__version__,
            wheels={w.dist: {"version": w.version, "sha256": w.sha256} for w in WHEELS.values()},
        )
        self.save_state(state)
        return recorded

    def note(self, stage: str, **extra: Any) -> None:
        """Add fields to a stage's recorded entry (its status unchanged)."""
        state = self.state()
        state.setdefault("stages", {}).setdefault(stage, {}).update(extra)
        self.save_state(state)

    def mark(self, stage: str, status: str, seconds: float, **extra: Any) -> None:
        state = self.state()
        state.setdefault("stages", {})[stage] = {
            "status": status,
            "seconds": round(seconds, 1),
            **extra,
        }
        self.save_state(state)


# Config sections that only change the dry-run's estimates, never a result: a run resumes under
# a config that differs only there (and records the new values).
ESTIMATE_ONLY = ("throughput",)


def _results_part(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k not in ESTIMATE_ONLY}
