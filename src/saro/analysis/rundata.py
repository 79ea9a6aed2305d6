"""Tolerant readers of a run directory (docs/rundir.md) for the analyses and the report.

Every reader returns an empty value when a file is missing or unreadable, so an analysis of a
half-finished run says "not available" for the missing parts instead of failing. Malformed
JSONL lines are skipped here (the stage that wrote them reports them); the analyses only count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.evaluate.schema import upgrade_metrics
from saro.pipeline.roster import MODELS as ROSTER_MODELS
from saro.pipeline.roster import (
    ROSTER,
    display,  # noqa: F401 (the analyses take it from here)
)
from saro.reasoning import parse

# Model keys in table order (the roster, saro.pipeline.roster).
MODELS = ROSTER_MODELS
# Eval suite -> the prompt kind its records hold (records carry `kind` too; this is the fallback).
SUITE_KINDS = {
    "jailbreak": "jailbreak",
    "harmful": "harmful",
    "overrefusal": "benign",
    "gsm8k": "math",
    "arc_easy_gen": "general",
    "arc_easy": "general",
    "mmlu": "general",
}


def check_run_dir(run_dir: str | Path) -> Path:
    """Return the run directory as a Path.

    Raises:
        SaroError: The directory does not exist.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise SaroError(
            f"Run directory {str(path)!r} does not exist.",
            "Pass the --out directory of `saro run` (it holds run.json, eval/ and models/).",
        )
    return path


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``, or {} when it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file; missing file -> [], bad lines skipped."""
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
    return out


def eval_models(run: Path) -> list[str]:
    """Model keys with an eval directory, known models first in table order."""
    root = run / "eval"
    found = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    return [m for m in MODELS if m in found] + [m for m in found if m not in MODELS]


def suite_metrics(run: Path, model: str) -> dict[str, dict[str, Any]]:
    """``metrics.json`` suites of one model ({} when missing); schema 1 is read upgraded."""
    data = upgrade_metrics(read_json(run / "eval" / model / "metrics.json"))
    suites = data.get("suites")
    return suites if isinstance(suites, dict) else {}


def samples(run: Path, model: str, suite: str) -> list[dict[str, Any]]:
    """The judged samples of one model and suite, each with ``kind`` filled in."""
    recs = read_records(run / "eval" / model / "samples" / f"{suite}.jsonl")
    for r in recs:
        r.setdefault("kind", SUITE_KINDS.get(suite))
        if "answer" not in r or "reasoning" not in r:
            parsed = parse(str(r.get("response") or ""))
            r.setdefault("answer", parsed.answer)
            r.setdefault("reasoning", parsed.reasoning)
    return recs


def suites_of(run: Path, model: str) -> list[str]:
    """Suites with a samples file for ``model``."""
    folder = run / "eval" / model / "samples"
    return sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []


def safety_judge(rec: dict[str, Any], preferred: str | None = None) -> str | None:
    """The judge whose verdict counts for a record: the suite's headline judge if present,
    else ``refusal``, else the first judge with a safety verdict."""
    judges = rec.get("judges") or {}
    for name in (preferred, "refusal"):
        if name and name in judges:
            return name
    for name, v in judges.items():
        answer = v.get("answer") if isinstance(v, dict) else None
        if isinstance(answer, dict) and ("unsafe" in answer or "refusal" in answer):
            return name
    return None


def answer_verdict(rec: dict[str, Any], judge: str | None = None) -> dict[str, Any]:
    """The answer verdict of ``judge`` (or the default safety judge), {} when there is none."""
    name = judge or safety_judge(rec)
    entry = (rec.get("judges") or {}).get(name or "") or {}
    verdict = entry.get("answer") if isinstance(entry, dict) else None
    return verdict if isinstance(verdict, dict) else {}


def training_answers(run: Path) -> list[str]:
    """The final answers of every training row (RIT-D and Safety-SFT), for the copy rate."""
    answers = []
    for name in ("rit.jsonl", "safety_sft.jsonl"):
        for rec in read_records(run / "rit" / name):
            msgs = rec.get("messages") or []
            for m in msgs:
                if isinstance(m, dict) and m.get("role") == "assistant":
                    answers.append(parse(str(m.get("content") or "")).answer)
    return [a for a in answers if a]


def base_model_name(run: Path) -> str | None:
    """The base model of a run: from run.json's config, else from a stage that starts at it."""
    info = read_json(run / "run.json")
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    for holder in (info, config, config.get("models") or {}, config.get("model") or {}):
        if not isinstance(holder, dict):
            continue
        for key in ("base_model", "base", "model", "name"):
            value = holder.get(key)
            if isinstance(value, str) and value:
                return value
    # arms trained from the base model record it as their starting model (the roster)
    for stage in (a.key for a in ROSTER if a.start == "base"):
        cfg = read_json(run / "models" / stage / "run.json").get("config") or {}
        value = cfg.get("model_name_or_path") if isinstance(cfg, dict) else None
        if isinstance(value, str) and value:
            return value
    model = read_json(run / "eval" / "base" / "config.json").get("model")
    return model if isinstance(model, str) and model else None
