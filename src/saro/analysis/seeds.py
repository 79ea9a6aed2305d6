"""Across training seeds: mean and interval per metric, paired tests of SaRO against each arm.

``saro run --seeds 0,1,2`` writes one run directory per training seed (``ROOT/seed-<s>``; the
split seed, hence every eval prompt, is the same in all of them) and then this aggregate:

* per model and headline metric, the value in each seed, the mean and a 95% Student-t interval
  across seeds (:func:`saro.evaluate.stats.t_interval`);
* per headline metric and arm, SaRO against the arm on the same prompts: an exact McNemar test
  in each seed and the seeds combined by the stratified exact test
  (:func:`saro.evaluate.stats.stratified_exact`, the exact form of Cochran-Mantel-Haenszel for
  matched pairs);
* Holm's adjustment over every comparison made (``m`` is stated), and one sentence per
  comparison saying whether it is significant at 0.05 after the adjustment.

Each sample's 0/1 outcome is the metric's own: attack success (``asr``), an explicit refusal of a
benign prompt (strict over-refusal: label ``refusal`` only; a missing answer is not a refusal),
any unhelpful answer (``unhelpful``: refusal, safe completion, no answer, junk) and correctness.
Unjudged samples are left out of both sides of a pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from saro.analysis import plotting
from saro.analysis.rundata import eval_models, read_records, suite_metrics
from saro.evaluate.metrics import binary, recovered, strict_refusal
from saro.evaluate.stats import holm, paired_counts, stratified_exact, t_interval
from saro.judges.base import Judge
from saro.pipeline.roster import SARO, display
from saro.store import write_json, write_text

ALPHA = 0.05


@dataclass(frozen=True)
class Headline:
    """A metric compared across seeds: ``key``, the suite it reads, a label, which direction is
    better, and how a sample becomes 0/1 (``asr``, ``strict``, ``refusal_rate``, ``accuracy``)."""

    key: str
    suite: str
    label: str
    better: str
    outcome: str


HEADLINES = (
    Headline("jailbreak", "jailbreak", "Jailbreak ASR", "lower", "asr"),
    Headline("rephrase", "rephrase", "Rephrased-attack ASR", "lower", "asr"),
    Headline("harmful", "harmful", "Harmful ASR", "lower", "asr"),
    Headline("strict_overrefusal", "overrefusal", "Over-refusal (strict)", "lower", "strict"),
    Headline("unhelpful", "overrefusal", "Unhelpful (benign)", "lower", "refusal_rate"),
    Headline("recovery", "recovery", "Recovery (harmful)", "higher", "recovery_rate"),
    Headline("recovery_benign", "recovery", "Recovery (benign)", "higher", "recovery_benign"),
    Headline("gsm8k", "gsm8k", "GSM8K", "higher", "accuracy"),
    Headline("arc_easy", "arc_easy", "ARC-Easy", "higher", "accuracy"),
)


def sample_outcome(rec: dict[str, Any], how: str, judge: str | None) -> int | None:
    """One sample's 0/1 contribution to a headline (None: not counted)."""
    if how == "strict":
        return strict_refusal(rec, judge)
    if how == "recovery_benign":
        return recovered(rec, judge) if rec.get("recovery_side") == "benign" else None
    return binary(rec, how, judge)


def outcomes(run: Path, model: str, head: Headline, judge: Judge | None = None) -> dict[str, int]:
    """Prompt id -> 0/1 for one model of one run ({} when the suite was not evaluated). With
    ``judge``, the safety headlines are read from that judge's verdicts, computed now on the saved
    samples (capability suites keep their own judge); samples it leaves unjudged are left out."""
    entry = suite_metrics(run, model).get(head.suite)
    if not entry:
        return {}
    name = entry.get("judge")
    records = read_records(run / "eval" / model / "samples" / f"{head.suite}.jsonl")
    if judge is not None and head.outcome != "accuracy":
        records, name = judge.judge(list(records)), judge.name
    out = {}
    for rec in records:
        value = sample_outcome(rec, head.outcome, name)
        if value is not None and rec.get("id") is not None:
            out[str(rec["id"])] = value
    return out


def aggregate(runs: dict[int, Path], judge: Judge | None = None) -> dict[str, Any]:
    """The aggregate of seed run directories ``{seed: dir}`` (see the module docstring); with
    ``judge`` (e.g. ``labels:FILE``, readers' labels), its verdicts replace each safety suite's
    own judge and ``result["judge"]`` names it."""
    seeds = sorted(runs)
    models = list(dict.fromkeys(m for s in seeds for m in eval_models(runs[s])))
    table: dict[str, dict[str, Any]] = {}
    per_seed: dict[tuple[str, str, int], dict[str, int]] = {}
    for m in models:
        table[m] = {}
        for h in HEADLINES:
            values = []
            for s in seeds:
                got = per_seed[(m, h.key, s)] = outcomes(runs[s], m, h, judge)
                values.append(sum(got.values()) / len(got) if got else None)
            if all(v is None for v in values):
                continue
            cell = t_interval([v for v in values if v is not None])
            if cell["ci95"]:  # a rate: the t interval is clipped to [0, 1]
                cell["ci95"] = [max(0.0, cell["ci95"][0]), min(1.0, cell["ci95"][1])]
            table[m][h.key] = {
                "per_seed": dict(zip(map(str, seeds), values, strict=True)),
                **cell,
                "n_per_seed": [len(per_seed[(m, h.key, s)]) for s in seeds],
            }
    tests = []
    if SARO in models:
        for h in HEADLINES:
            for other in models:
                if other == SARO or h.key not in table[SARO] or h.key not in table[other]:
                    continue
                strata = [
                    paired_counts(per_seed[(SARO, h.key, s)], per_seed[(other, h.key, s)])
                    for s in seeds
                ]
                tests.append({"metric": h.key, "other": other,
                              "per_seed": dict(zip(map(str, seeds), strata, strict=True)),
                              **stratified_exact(strata)})  # fmt: skip
    for t, adj in zip(tests, holm([t["p"] for t in tests]), strict=True):
        t["p_holm"] = adj
    result = {
        "seeds": seeds,
        "runs": {str(s): str(runs[s]) for s in seeds},
        "models": models,
        "table": table,
        "tests": tests,
        "comparisons": len(tests),
        "alpha": ALPHA,
        "judge": judge.spec or judge.name if judge is not None else None,
    }
    result["sentences"] = claims(result)
    return result


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def claims(result: dict[str, Any]) -> list[str]:
    """One sentence per comparison: what is and is not significant at 0.05 after Holm."""
    heads = {h.key: h for h in HEADLINES}
    m, k = result["comparisons"], len(result["seeds"])
    if not m:
        return ["SaRO and at least one other arm must be evaluated for a paired test."]
    out = [
        f"{m} comparisons of SaRO with each other arm on the same prompts"
        + (f" over {k} training seeds" if k > 1 else "")
        + "; p-values are exact McNemar tests"
        + (" with the seeds combined (stratified)" if k > 1 else "")
        + f", Holm-adjusted over all {m}."
    ]
    for t in result["tests"]:
        h = heads[t["metric"]]
        saro = result["table"][SARO][h.key]["mean"]
        other = result["table"][t["other"]][h.key]["mean"]
        b, c = t["b"], t["c"]
        # b: prompts where SaRO scores 1 and the other arm 0
        up, down = (b, c) if h.better == "higher" else (c, b)
        sig = t["p_holm"] < ALPHA
        verdict = (
            f"significant at 0.05 ({'SaRO better' if up > down else 'SaRO worse'})"
            if sig
            else "not significant at 0.05"
        )
        mean = f"mean of {k} seeds" if k > 1 else "one seed"
        pairs = "prompt-seed pairs" if k > 1 else "prompts"
        out.append(
            f"{h.label}, SaRO vs {display(t['other'])}: {_pct(saro)} vs {_pct(other)} ({mean}); "
            f"SaRO better on {up} and worse on {down} of {t['n_pairs']} {pairs}; "
            f"p = {t['p']:.3g}, Holm-adjusted {t['p_holm']:.3g}: {verdict}."
        )
    return out


def markdown(result: dict[str, Any]) -> str:
    """The aggregate as markdown: the across-seed table, then the claims."""
    heads = [h for h in HEADLINES if any(h.key in result["table"][m] for m in result["models"])]
    header = ["Model"] + [f"{h.label} ({h.better} better)" for h in heads]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in result["models"]:
        cells = [display(m)]
        for h in heads:
            cell = result["table"][m].get(h.key)
            if not cell or cell["mean"] is None:
                cells.append("n/a")
                continue
            ci = cell["ci95"]
            interval = f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else ""
            judged = f" (n {sum(cell['n_per_seed'])})" if result.get("judge") else ""
            cells.append(f"{100 * cell['mean']:.1f}%{interval}{judged}")
        lines.append("| " + " | ".join(cells) + " |")
    seeds = ", ".join(map(str, result["seeds"]))
    body = "\n".join(lines)
    said = "\n".join(f"- {s}" for s in result["sentences"])
    if result.get("judge"):
        head = (
            f"# Headline numbers by the judge `{result['judge']}` (seeds {seeds})\n\n"
            "Every safety suite's saved samples scored again by this judge (nothing regenerated; "
            "capability suites keep their own judge). Samples it leaves unjudged (e.g. answers "
            "without a reader's label) are left out of the rate and of both sides of a paired "
            "test: n is the number it judged. Mean over seeds with a 95% Student-t interval "
            "across seeds (none for one seed).\n\n"
        )
    else:
        head = (
            f"# Across training seeds ({seeds})\n\n"
            "![Safety vs helpfulness across seeds](tradeoff.png)\n\n"
            "Mean over seeds with a 95% Student-t interval across seeds (clipped to [0, 100]; "
            "none for one seed; the base model is evaluated once and shared, so its interval has "
            "no width); every seed is evaluated on the same prompts (one split seed).\n\n"
        )
    runs = "\n".join(f"- seed {s}: `{d}`" for s, d in result["runs"].items())
    return f"{head}{body}\n\n## Paired tests\n\n{said}\n\n{runs}\n"


def figure(result: dict[str, Any], path: Path) -> str | None:
    """Per headline, each model's mean with its across-seed interval and the seeds as dots."""
    heads = [h for h in HEADLINES if any(h.key in result["table"][m] for m in result["models"])]
    if not heads:
        return None
    plt = plotting.pyplot()
    cols = min(5, len(heads))
    rows = -(-len(heads) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(2.8 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(heads) :]:
        ax.axis("off")
    for ax, h in zip(axes.flat, heads, strict=False):
        for i, m in enumerate(result["models"]):
            cell = result["table"][m].get(h.key)
            if not cell or cell["mean"] is None:
                continue
            color = plotting.COLORS.get(m, "#555")
            ci = cell["ci95"]
            mean = 100 * cell["mean"]
            err = None if not ci else [[mean - 100 * ci[0]], [100 * ci[1] - mean]]
            ax.errorbar([i], [mean], yerr=err, fmt="o", color=color, capsize=3)
            dots = [v for v in cell["per_seed"].values() if v is not None]
            ax.scatter([i + 0.15] * len(dots), [100 * v for v in dots], s=8, color=color,
                       alpha=0.5)  # fmt: skip
        ax.set_title(f"{h.label}\n({h.better} better)", fontsize=8)
        ax.set_xticks(range(len(result["models"])))
        ax.set_xticklabels([display(m) for m in result["models"]], rotation=60, fontsize=7)
        ax.set_ylabel("%", fontsize=7)
    return plotting.save(fig, path)


def write_aggregate(root: str | Path, runs: dict[int, Path]) -> dict[str, Any]:
    """Write ``ROOT/aggregate.json``, ``aggregate.md``, ``aggregate.png`` and ``tradeoff.png``
    (the safety–helpfulness figure from the across-seed means and t intervals); return the
    result."""
    from saro.analysis import tradeoff

    root = Path(root)
    result = aggregate(runs)
    result["figure"] = figure(result, root / "aggregate.png")
    points = {
        m: {k: {"value": c.get("mean"), "ci95": c.get("ci95")} for k, c in row.items()}
        for m, row in result["table"].items()
    }
    result["tradeoff_figure"] = tradeoff.plot(
        points, root / "tradeoff.png", interval="t (across seeds)"
    )
    write_json(root / "aggregate.json", result)
    write_text(root / "aggregate.md", markdown(result))
    return result


def write_judged(root: str | Path, runs: dict[int, Path], judge: Judge) -> Path:
    """Write ``ROOT/judged-<judge>.md`` and ``.json``: the headline table and paired tests with
    ``judge``'s verdicts (:func:`aggregate`); return the markdown's path."""
    root = Path(root)
    result = aggregate(runs, judge)
    write_json(root / f"judged-{judge.name}.json", result)
    path = root / f"judged-{judge.name}.md"
    write_text(path, markdown(result))
    return path


def one_run(run: str | Path, info: dict[str, Any]) -> dict[int, Path]:
    """A single run directory as :func:`aggregate`'s input: ``{its training seed: run}``
    (``info`` is its ``run.json``; seed 0 when it names none)."""
    seed = info.get("seed")
    return {seed if isinstance(seed, int) else 0: Path(run)}


def seed_runs(root: str | Path) -> dict[int, Path]:
    """The ``seed-<s>`` run directories under ``root`` (with an eval folder), by seed."""
    out = {}
    for d in sorted(Path(root).glob("seed-*")):
        try:
            seed = int(d.name.split("-", 1)[1])
        except ValueError:
            continue
        if (d / "eval").is_dir():
            out[seed] = d
    return out


__all__ = ["HEADLINES", "aggregate", "claims", "markdown", "seed_runs", "write_aggregate"]
