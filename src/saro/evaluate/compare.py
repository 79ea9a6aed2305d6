"""``saro compare``: eval directories side by side, with deltas and paired tests.

Usage::

    saro compare runs/base/eval runs/rw/eval runs/saro/eval --out compare.md

For each suite, each directory's headline value, its delta against the first directory, and an
exact McNemar test on the prompts both directories scored: the samples are matched by prompt
id and each contributes a 0/1 outcome (attack succeeded / refused / correct). Only discordant
pairs carry information, so ``p = P(Binomial(b + c, 1/2) <= min(b, c))``, doubled and capped at
1. Prompt selection is seeded, so two runs with the same suite, limit and split seed hold the same
prompts and every pair matches.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.evaluate.metrics import binary
from saro.evaluate.schema import read_metrics
from saro.evaluate.stats import paired_counts
from saro.evaluate.tables import ci, markdown_table, pct
from saro.store import read_jsonl


def outcomes(eval_dir: Path, suite: str, entry: dict[str, Any]) -> dict[str, int]:
    """Prompt id -> 0/1 headline outcome for one suite of one eval directory."""
    path = eval_dir / "samples" / f"{suite}.jsonl"
    if not path.exists():
        raise SaroError(
            f"{path} is missing although metrics.json lists suite {suite!r}.",
            "Rerun saro eval for that suite.",
        )
    out = {}
    for rec in read_jsonl(path, required=("id",)):
        value = binary(rec, entry["metric"], entry.get("judge"))
        if value is not None:
            out[rec["id"]] = value
    return out


def compare_dirs(dirs: Sequence[str | Path]) -> dict[str, Any]:
    """Compare eval directories; the first is the reference for deltas and tests.

    Returns:
        ``{"dirs": [...], "suites": {suite: {"metric", "cells": [...]}}}`` where each cell has
        ``value``, ``ci95``, ``n`` and (after the first) ``delta`` and ``test``.
    """
    if len(dirs) < 2:
        raise SaroError("compare needs at least two eval directories.", "Pass DIR_A DIR_B.")
    paths = [Path(d) for d in dirs]
    metrics = [read_metrics(p)["suites"] for p in paths]
    names = list(dict.fromkeys(s for m in metrics for s in m))
    result: dict[str, Any] = {"dirs": [str(p) for p in paths], "suites": {}}
    for suite in names:
        ref = metrics[0].get(suite)
        cells = []
        base = outcomes(paths[0], suite, ref) if ref else None
        for path, m in zip(paths, metrics, strict=True):
            e = m.get(suite)
            if e is None:
                cells.append(None)
                continue
            cell = {"value": e.get("value"), "ci95": e.get("ci95"), "n": e.get("n")}
            if e is not ref and ref is not None:
                if e["metric"] != ref["metric"]:
                    raise SaroError(
                        f"Suite {suite!r} has metric {ref['metric']} in {paths[0]} but "
                        f"{e['metric']} in {path}.",
                        "Compare directories evaluated with the same saro version.",
                    )
                if ref.get("value") is not None and e.get("value") is not None:
                    cell["delta"] = e["value"] - ref["value"]
                cell["test"] = paired_counts(base or {}, outcomes(path, suite, e))
            cells.append(cell)
        metric = (ref or next(m[suite] for m in metrics if suite in m))["metric"]
        result["suites"][suite] = {"metric": metric, "cells": cells}
    return result


def _cell_text(cell: dict[str, Any] | None, first: bool) -> list[str]:
    if cell is None:
        return ["-"] if first else ["-", "-", "-"]
    value = f"{pct(cell['value'])} {ci(cell)}"
    if first:
        return [value]
    delta = cell.get("delta")
    test = cell.get("test") or {}
    sign = "" if delta is None else ("+" if delta >= 0 else "")
    p = test.get("p")
    return [
        value,
        "n/a" if delta is None else f"{sign}{100 * delta:.1f}",
        "n/a" if p is None or not test.get("n_pairs") else f"{p:.3g} ({test['n_pairs']} pairs)",
    ]


def table_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows shared by the markdown and the rich rendering."""
    header = ["suite", "metric (%)"]
    for i, d in enumerate(result["dirs"]):
        label = f"[{i}] {Path(d).parent.name + '/' if Path(d).name == 'eval' else ''}{Path(d).name}"
        header += [label] if i == 0 else [label, "Δ vs [0]", f"McNemar p [{i}]"]
    rows = []
    for suite, info in result["suites"].items():
        row = [suite, info["metric"]]
        for i, cell in enumerate(info["cells"]):
            row += _cell_text(cell, i == 0)
        rows.append(row)
    return header, rows


def compare_markdown(result: dict[str, Any]) -> str:
    header, rows = table_rows(result)
    legend = "\n".join(f"- [{i}] `{d}`" for i, d in enumerate(result["dirs"]))
    note = (
        "Values in %, 95% Wilson interval in brackets; Δ in percentage points against [0]; "
        "exact McNemar test on prompt-id-matched outcomes. asr and refusal rate: lower is "
        "better; accuracy: higher is better."
    )
    return f"{legend}\n\n{markdown_table(header, rows)}\n\n{note}\n"
