"""Markdown tables of eval metrics (``results.md``) shared by ``saro eval`` and ``saro compare``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SUMMARY_FIELDS = ("attack_kind", "source")


def pct(value: float | None, digits: int = 1) -> str:
    """``0.4567`` -> ``45.7``; None -> ``n/a``."""
    return "n/a" if value is None else f"{100 * value:.{digits}f}"


def ci(entry: dict[str, Any]) -> str:
    lo_hi = entry.get("ci95")
    return "n/a" if not lo_hi else f"[{pct(lo_hi[0])}, {pct(lo_hi[1])}]"


def num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


SUITE_HEADER = (
    "suite", "metric (%)", "value", "95% CI", "n", "no answer %", "reasoning harm %",
    "answer tok", "reasoning tok", "truncated %",
)  # fmt: skip


def suite_row(name: str, e: dict[str, Any]) -> list[str]:
    metric = e["metric"] + ("" if e.get("mode") != "loglik" else " (loglik)")
    return [
        name,
        metric,
        pct(e.get("value")),
        ci(e),
        str(e.get("n", 0)),
        pct(e.get("no_answer_rate")) if "no_answer_rate" in e else "-",
        pct(e.get("reasoning_harm_rate")) if e.get("metric") == "asr" else "-",
        num(e.get("mean_answer_tokens")),
        num(e.get("mean_reasoning_tokens")),
        pct(e.get("truncated_rate")) if "truncated_rate" in e else "-",
    ]


def results_markdown(metrics: dict[str, Any], config: dict[str, Any]) -> str:
    """The ``results.md`` of one eval directory."""
    suites = metrics.get("suites", {})
    parts = [
        f"# Evaluation of `{config.get('model')}`",
        "",
        f"Engine `{config.get('engine')}`, judges {', '.join(config.get('judges') or []) or '-'}, "
        f"split seed {config.get('split_seed', 0)}, seed {config.get('seed')}, greedy decoding, "
        f"eval schema {metrics['schema_version']}. "
        "asr and refusal rate: lower is better; accuracy: higher is better.",
        "",
        markdown_table(SUITE_HEADER, [suite_row(n, e) for n, e in suites.items()]),
    ]
    for name, e in suites.items():
        extra = []
        if e.get("metric") == "asr" and e.get("asr_answered") is not None:
            extra.append(f"asr among answered prompts {pct(e['asr_answered'])}%")
        if e.get("labels"):
            extra.append("labels " + ", ".join(f"{k} {v}" for k, v in e["labels"].items()))
        for key, what in (("strict_refusal", "strict over-refusal (explicit refusals)"),
                          ("safe_completion", "safe completions"),
                          ("unhelpful", "unhelpful (no asked-for answer)")):  # fmt: skip
            if isinstance(e.get(key), dict) and e[key].get("value") is not None:
                extra.append(f"{what} {pct(e[key]['value'])}% {ci(e[key])}")
        if e.get("forced_rate"):
            extra.append(f"forced answers {pct(e['forced_rate'])}%")
        if e.get("acc_norm") is not None:
            extra.append(f"acc_norm {pct(e['acc_norm'])}%")
        if e.get("unjudged"):
            extra.append(f"{e['unjudged']} unjudged")
        for field, groups in (e.get("breakdown") or {}).items():
            if field not in SUMMARY_FIELDS:
                continue  # per template or per category is too long here; see metrics.json
            cells = ", ".join(
                f"{k} {pct(v.get(e['metric']))}% (n={v['n']})" for k, v in groups.items()
            )
            extra.append(f"by {field}: {cells}")
        if extra:
            parts += ["", f"**{name}**: " + "; ".join(extra) + "."]
    return "\n".join(parts) + "\n"
