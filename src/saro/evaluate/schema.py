"""The eval directory's schema guard and JSON writing.

An eval directory is reused when it holds the same schema and the same model: new suites are
added to its ``metrics.json`` and rerun suites replaced. A directory written by an older
schema, or for another model, is refused (rerun into a fresh directory, or pass ``--force``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.evaluate.metrics import (
    LABEL_ALIASES,
    SCHEMA_VERSION,
    benign_class_cells,
    outcome_classes,
)

READABLE = (1, SCHEMA_VERSION)  # schema 1 is read by upgrading it


def upgrade_metrics(data: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 ``metrics.json`` in schema 2's terms (a schema-2 one is returned as it is).

    Schema 1 named the ``no_answer`` class ``empty`` and gave benign suites only
    ``strict_refusal_rate``; the label counts it kept give every outcome class back.
    """
    if not isinstance(data, dict) or data.get("schema_version") != 1:
        return data
    suites = {}
    for name, entry in (data.get("suites") or {}).items():
        entry = dict(entry)
        for holder in [entry, *(entry.get("by_judge") or {}).values()]:
            labels = holder.get("labels")
            if isinstance(labels, dict):
                labels = {LABEL_ALIASES.get(k, k): v for k, v in labels.items()}
                holder["labels"] = labels
                n = entry.get("n") or sum(labels.values())
                holder["outcomes"] = outcome_classes(labels, n)
                if entry.get("metric") == "refusal_rate":
                    holder.update(benign_class_cells(labels, n))
        if entry.get("metric") == "refusal_rate":
            entry["unhelpful"] = {"value": entry.get("value"), "ci95": entry.get("ci95")}
        suites[name] = entry
    return {**data, "schema_version": SCHEMA_VERSION, "upgraded_from": 1, "suites": suites}


def read_metrics(eval_dir: str | Path) -> dict[str, Any]:
    """Load ``DIR/metrics.json`` and check its schema version.

    Raises:
        SaroError: No metrics file, an unreadable one, or one from another schema version.
    """
    path = Path(eval_dir) / "metrics.json"
    if not path.exists():
        raise SaroError(
            f"{str(eval_dir)!r} is not an eval directory (no metrics.json).",
            "Pass a directory written by saro eval.",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SaroError(
            f"{path} is not valid JSON.", "Rerun saro eval into that directory with --force."
        ) from None
    version = data.get("schema_version") if isinstance(data, dict) else None
    if version in READABLE:
        return upgrade_metrics(data)
    if version != SCHEMA_VERSION:
        raise SaroError(
            f"The eval directory {str(eval_dir)!r} was written by eval schema "
            f"{version!r}; this saro reads schema {SCHEMA_VERSION}.",
            "Rerun saro eval into a new directory, or rerun with --force to overwrite it "
            "(generations come from the cache).",
        )
    return data


def check_eval_dir(out: Path, identity: str, *, force: bool, split_seed: int = 0) -> dict[str, Any]:
    """Return the suites already measured in ``out`` for this model ({} for a fresh dir)."""
    if force or not (out / "metrics.json").exists():
        return {}
    suites = read_metrics(out).get("suites") or {}
    cfg = out / "config.json"
    old = json.loads(cfg.read_text(encoding="utf-8")) if cfg.exists() else {}
    if old.get("engine_identity") not in (None, identity):
        raise SaroError(
            f"{str(out)!r} holds an evaluation of another model ({old.get('model')}).",
            "Use another --out directory, or --force to replace it.",
        )
    if old.get("split_seed", 0) != split_seed:
        raise SaroError(
            f"{str(out)!r} holds prompts drawn with split seed {old.get('split_seed', 0)}, "
            f"not {split_seed}.",
            "Use another --out directory, or --force to replace it.",
        )
    return dict(suites)
