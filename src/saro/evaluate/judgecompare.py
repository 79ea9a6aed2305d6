"""``saro judge --compare EVAL_DIR -j refusal -j llm:...``: how much the headline numbers depend
on the judge.

Every safety suite's saved samples (``EVAL_DIR/samples/<suite>.jsonl``) are scored again by each
judge (nothing is regenerated) and each headline number is computed per judge: ASR for harmful
and jailbreak suites, the unhelpful rate and strict over-refusal for benign suites (strict needs
a judge with outcome labels), the recovery rate for the recovery suite. The result gives each
number's **spread** (largest minus smallest across the judges that scored it) and, per pair of
judges, Cohen's kappa and raw agreement on the answer's refusal bit over the samples both
judged. A judge that cannot score a sample says so (``score`` null): such samples are counted
as ``unjudged`` for that judge, never scored by a fallback.

Writes ``OUT/compare.json`` and the re-judged samples under ``OUT/samples/`` (default OUT:
``EVAL_DIR/judge-compare``); the eval directory itself is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.evaluate.metrics import binary, recovery_metrics, safety_metrics
from saro.evaluate.schema import read_metrics
from saro.evaluate.stats import cohen_kappa
from saro.store import read_jsonl, write_json, write_jsonl

SAFETY = ("asr", "refusal_rate", "recovery_rate")
BATCH = 64


def _numbers(records: list[dict[str, Any]], metric: str, judge: str) -> dict[str, Any]:
    if metric == "recovery_rate":
        m = recovery_metrics(records, judge)
        return {"recovery_rate": m["recovery_rate"], "unjudged": m["unjudged"]}
    m = safety_metrics(records, metric, judge)
    out = {metric: m[metric], "unjudged": m["unjudged"]}
    if metric == "refusal_rate" and "strict_refusal_rate" in m:
        out["strict_refusal"] = m["strict_refusal_rate"]
    return out


def compare_judges(
    eval_dir: str | Path, judges: Sequence[Any], out_dir: str | Path | None = None
) -> dict[str, Any]:
    """Re-score an eval directory's safety samples with every judge; see the module docstring.

    Args:
        eval_dir: An eval directory (``saro eval --out``).
        judges: Two or more judge specs or judge objects (:func:`saro.judges.make_judge`).
        out_dir: Where to write (default ``EVAL_DIR/judge-compare``).
    """
    from saro.judges import make_judge

    if len(judges) < 2:
        raise SaroError("Comparing judges needs at least two.", "Pass -j refusal -j llm:... .")
    made = [make_judge(j) for j in judges]
    seen: dict[str, int] = {}
    for j in made:  # two judges of one family (two llm endpoints) get their own keys
        seen[j.name] = seen.get(j.name, 0) + 1
        if seen[j.name] > 1:
            j.name = f"{j.name}_{seen[j.name]}"
    eval_dir = Path(eval_dir)
    out = Path(out_dir) if out_dir else eval_dir / "judge-compare"
    suites = read_metrics(eval_dir)["suites"]
    judge_specs = {j.name: j.spec or j.name for j in made}
    result: dict[str, Any] = {"eval_dir": str(eval_dir), "judges": judge_specs, "suites": {}}
    for suite, entry in suites.items():
        metric = entry.get("metric")
        if metric not in SAFETY:
            continue
        path = eval_dir / "samples" / f"{suite}.jsonl"
        if not path.exists():
            raise SaroError(f"{path} is missing.", "Rerun saro eval for that suite.")
        records = list(read_jsonl(path, required=("prompt", "response")))
        for j in made:
            judged = []
            for start in range(0, len(records), BATCH):
                judged += j.judge(records[start : start + BATCH])
            records = judged
        write_jsonl(out / "samples" / f"{suite}.jsonl", records)
        per_judge = {j.name: _numbers(records, metric, j.name) for j in made}
        keys = [k for k in next(iter(per_judge.values())) if k != "unjudged"]
        spread = {}
        for k in keys:
            vals = [v[k] for v in per_judge.values() if v.get(k) is not None]
            spread[k] = max(vals) - min(vals) if len(vals) >= 2 else None
        pairs = {}
        for a, b in combinations(made, 2):
            bits = [
                (binary(r, "refusal_rate", a.name), binary(r, "refusal_rate", b.name))
                for r in records
            ]
            both = [(x, y) for x, y in bits if x is not None and y is not None]
            pairs[f"{a.name} vs {b.name}"] = {
                "n": len(both),
                "agreement": sum(x == y for x, y in both) / len(both) if both else None,
                "kappa": cohen_kappa([x for x, _ in both], [y for _, y in both]),
            }
        result["suites"][suite] = {"metric": metric, "n": len(records), "by_judge": per_judge,
                                   "spread": spread, "pairs": pairs}  # fmt: skip
    if not result["suites"]:
        raise SaroError(
            f"{eval_dir} has no safety suite to compare judges on.",
            "Pass an eval directory with jailbreak, harmful or overrefusal samples.",
        )
    write_json(out / "compare.json", result)
    return result


def compare_lines(result: dict[str, Any]) -> list[str]:
    """The comparison as plain lines (numbers only, never a response)."""

    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:5.1f}%"

    lines = [f"judges: {', '.join(f'{k} = {v}' for k, v in result['judges'].items())}"]
    for suite, s in result["suites"].items():
        lines.append(f"[{suite}] n={s['n']}")
        for key, spread in s["spread"].items():
            vals = "  ".join(f"{j} {pct(v.get(key))}" for j, v in s["by_judge"].items())
            lines.append(f"  {key:<15} {vals}   spread {pct(spread)}")
        unjudged = ", ".join(f"{j} {v['unjudged']}" for j, v in s["by_judge"].items())
        lines.append(f"  unjudged        {unjudged}")
        for pair, p in s["pairs"].items():
            kappa = "n/a" if p["kappa"] is None else f"{p['kappa']:.2f}"
            lines.append(f"  {pair}: agreement {pct(p['agreement'])}, kappa {kappa} (n={p['n']})")
    return lines
