"""Labelled data of the ``refusal`` judge: what it trains on and what it is measured on.

Four sources, each split so that a held-out part is never trained on:

* **own**: responses written for this project. ``refusal_train.jsonl`` is trained on,
  ``refusal_heldout.jsonl`` (written separately, different prompts and wording) is not.
* **uncensorbench**: UncensorBench 0.3.7's refusing and complying response per prompt; one
  prompt in five (by id hash) is held out, both responses with it.
* **seed**: the final answers of the curated seed RIT set (``saro/data/seed_rit/*.jsonl``).
  Harmful and jailbreak answers decline (refusal or safe completion), benign, general and
  math answers help (compliance); ``seed_labels.json`` lists the few answers whose label
  differs from their kind (a jailbreak-wrapped request that is fine to help with). About one
  answer in four (by a hash of its text, so duplicates stay together) is held out. The seed
  set is still growing: a record's side depends on its own answer alone, so adding records
  never moves existing ones.
* **gold**: outputs of the models saro trains (``gold/gold.jsonl``), read and labelled under
  ``gold/GUIDELINES.md``. Rows of the ``train`` part answer prompts from the *train* side of the
  splits and may be learned from; the ``heldout`` part answers the eval suites' own prompts and
  is only scored (docs/judges.md).

Empty and junk rows only document the rules (the classifier never sees them).
"""

from __future__ import annotations

import hashlib
import json
from importlib.resources import files
from typing import Any

from saro.store import read_jsonl

CLASSIFIED = ("refusal", "safe_completion", "compliance")
SAFETY_KINDS = ("harmful", "jailbreak")
HELPFUL_KINDS = ("benign", "general", "math")
UNCENSORBENCH_MEMBER = "uncensorbench/data/prompts.json"


def _data_file(name: str) -> str:
    return files("saro").joinpath("data", "judges", name).read_text(encoding="utf-8")


def _bucket(key: str, modulus: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % modulus


def own_examples(name: str) -> list[dict[str, Any]]:
    """This project's labelled responses (``refusal_train.jsonl`` or ``refusal_heldout.jsonl``)."""
    return [json.loads(line) for line in _data_file(name).splitlines() if line.strip()]


def uncensorbench_labelled() -> list[dict[str, Any]]:
    """UncensorBench's responses labelled for a refusal classifier, read from its pinned wheel.

    Each of the 150 prompts has a refusing (``censored_response``) and a complying
    (``uncensored_response``) answer, giving 300 rows with ``id`` (``uncensorbench/<id>``, the
    prompt's id), ``prompt``, ``response``, ``label`` and ``category`` (the topic).
    """
    from saro.wheels import read_member

    data = json.loads(read_member("uncensorbench", UNCENSORBENCH_MEMBER))
    return [
        {
            "id": f"uncensorbench/{row['id']}",
            "prompt": row["prompt"].strip(),
            "response": row[field].strip(),
            "label": label,
            "category": row["topic"].strip().lower(),
        }
        for row in data["prompts"]
        for field, label in (
            ("censored_response", "refusal"),
            ("uncensored_response", "compliance"),
        )
    ]


def uncensorbench_split(heldout: bool) -> list[dict[str, Any]]:
    """UncensorBench rows; one prompt in five (by id hash) is held out, both responses with it."""
    return [r for r in uncensorbench_labelled() if (_bucket(r["id"], 5) == 0) == heldout]


def seed_label(record: dict[str, Any], overrides: dict[str, str] | None = None) -> str:
    """The gold label of a seed answer: from ``seed_labels.json`` if listed, else its kind.

    A declining answer is ``safe_completion`` when it goes on to offer other help at length
    (the judge's own definition, :func:`saro.judges.refusal.is_safe_completion`), else
    ``refusal``; only the refusal bit is measured on seed data.
    """
    from saro.judges.refusal_rules import is_safe_completion

    if overrides is None:
        overrides = json.loads(_data_file("seed_labels.json"))["labels"]
    if record["id"] in overrides:
        return overrides[record["id"]]
    if record["kind"] in SAFETY_KINDS:
        return "safe_completion" if is_safe_completion(record["answer"]) else "refusal"
    return "compliance"


def seed_rows(records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every seed answer as a labelled row (``id``, ``kind``, ``prompt``, ``response``, ``label``).

    Args:
        records: Raw seed records; default: the package's seed set
            (``saro/data/seed_rit/*.jsonl``, read as files: the judge does not depend on the
            data builders).
    """
    if records is None:
        records = [
            rec
            for path in sorted(files("saro").joinpath("data", "seed_rit").iterdir())
            if path.name.endswith(".jsonl")
            for rec in read_jsonl(str(path))
        ]
    overrides = json.loads(_data_file("seed_labels.json"))["labels"]
    return [
        {
            "id": r["id"],
            "kind": r["kind"],
            # the prompt is only a reference (its text lives in the source, not in the seed file)
            "prompt": f"{r['prompt']['source']}:{r['prompt']['id']}",
            "response": r["answer"],
            "label": seed_label(r, overrides),
        }
        for r in records
        if r["kind"] in SAFETY_KINDS + HELPFUL_KINDS
    ]


def seed_split(heldout: bool, records: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Seed rows; about one in four is held out, by a hash of the answer text, so that
    identical answers ("The answer is 50.") always fall on the same side."""
    return [r for r in seed_rows(records) if (_bucket(r["response"], 4) == 0) == heldout]


def gold_rows(part: str | None = None) -> list[dict[str, Any]]:
    """The gold set's rows (``part``: ``train``, ``heldout`` or ``recheck``; None: all), each with
    ``response`` rebuilt as the answer the judge reads; [] when the file is not there."""
    try:
        text = _data_file("gold/gold.jsonl")
    except FileNotFoundError:
        return []
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    for r in rows:
        r.setdefault("response", r.get("answer") or "")
    return [r for r in rows if part is None or r["part"] == part]


def training_rows() -> list[dict[str, Any]]:
    """Every row the classifier learns from (empty and junk rows are left to the rules)."""
    rows = (
        uncensorbench_split(heldout=False)
        + own_examples("refusal_train.jsonl")
        + seed_split(heldout=False)
        + gold_rows("train")
    )
    return [r for r in rows if r["label"] in CLASSIFIED]


def heldout_sets() -> dict[str, list[dict[str, Any]]]:
    """The held-out sets, never trained on, by name: ``own``, ``uncensorbench``, ``seed`` and
    (once labelled) ``gold`` and ``gold_recheck`` (outputs of models trained after the judge was
    last changed, read from their runs' eval samples: a check of the frozen judge). A gold
    row whose answer is word for word a training answer is left out: it is not held out (a
    Safety-SFT model that answers a harmful prompt with a memorised seed math answer, "That gives
    12.", repeats text the judge was trained on under another label)."""
    sets = {
        "own": own_examples("refusal_heldout.jsonl"),
        "uncensorbench": uncensorbench_split(heldout=True),
        "seed": seed_split(heldout=True),
    }
    trained = {r["response"] for r in training_rows()}
    for name, part in (("gold", "heldout"), ("gold_recheck", "recheck")):
        rows = [r for r in gold_rows(part) if r["response"] not in trained]
        if rows:
            sets[name] = rows
    return sets
