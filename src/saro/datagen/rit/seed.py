"""The offline seed RIT set: curated reasoning traces written for this project.

No strong teacher model exists offline, so the package ships hand-written, policy-grounded
traces (``saro/data/seed_rit/*.jsonl``) as the stand-in for a teacher. A trace references its
prompt by source and id; the prompt text is read from the source at load time (and, for
jailbreak traces, wrapped with the named training attack), so the package ships no copy of
third-party prompts. Math traces are GSM8K train solutions reformatted into steps
(``scripts/make_seed_math.py``).

About a third of the traces show a **mid-course correction** (``*_reflect.jsonl`` and
``benign_edgy.jsonl``): a step that drifts (starts to plan a harmful task at outline level, or
starts to refuse a benign one), a later step that notices it in its own words
(:mod:`saro.reflection_cues`) and checks it against the policy, then the corrected decision. Such
a record says where: ``"correction": {"drift_step": D, "reflection_step": R}`` (1-based).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.reasoning import render
from saro.records import Prompt
from saro.store import read_jsonl

FIELDS = ("id", "prompt", "kind", "policy", "steps", "answer")


@dataclass
class SeedTrace:
    """One curated trace, with its prompt resolved.

    Attributes:
        id: ``seed/<kind>/<n>``.
        prompt: The resolved prompt (jailbreak prompts already wrapped).
        policy: Policy category ids the reasoning cites.
        steps: Reasoning steps.
        answer: Final answer.
        attack: ``{"id", "seed"}`` for jailbreak traces.
        meta: ``correction`` (``{"drift_step", "reflection_step"}``) on traces with one.
    """

    id: str
    prompt: Prompt
    policy: list[str]
    steps: list[str]
    answer: str
    attack: dict[str, Any] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.prompt.kind

    @property
    def correction(self) -> dict[str, int] | None:
        return self.meta.get("correction")

    def response(self) -> str:
        """The assistant turn in the reasoning format."""
        return render(self.steps, self.answer)


def seed_dir() -> Path:
    return Path(str(resources.files("saro") / "data" / "seed_rit"))


def read_seed_records(folder: str | Path | None = None) -> list[dict[str, Any]]:
    """The raw seed records of every ``*.jsonl`` in the folder (package data by default)."""
    folder = Path(folder) if folder else seed_dir()
    records: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        records.extend(read_jsonl(path, required=FIELDS))
    return records


def load_seed_set(
    folder: str | Path | None = None,
    *,
    kinds: tuple[str, ...] | None = None,
    split_seed: int = 0,
    left_out: Counter | None = None,
) -> list[SeedTrace]:
    """Load and resolve the seed set, keeping only traces on the train side of the splits.

    The traces were written for prompts and attacks on the train side of the default splits
    (``split_seed`` 0). Another split seed moves some of them to the evaluation side; those
    traces are left out (counted in ``left_out`` by reason), so nothing trained on is evaluated.

    Raises:
        SaroError: A trace references a prompt id its source does not have (named), or an
            attack id that does not exist.
    """
    from saro.attacks import apply_attack, load_attacks, split_attacks
    from saro.sources import load_source

    left_out = left_out if left_out is not None else Counter()
    by_source: dict[str, dict[str, Prompt]] = {}
    train_ids: dict[str, set[str]] = {}
    attacks = None
    train_attacks: set[str] = set()
    traces = []
    for rec in read_seed_records(folder):
        if kinds and rec["kind"] not in kinds:
            continue
        src, pid = rec["prompt"]["source"], rec["prompt"]["id"]
        if src not in by_source:
            by_source[src] = {p.id: p for p in load_source(src, split=None)}
            train_ids[src] = {p.id for p in load_source(src, split="train", seed=split_seed)}
        base = by_source[src].get(pid)
        if base is None:
            raise SaroError(
                f"Seed trace {rec['id']!r} references prompt {pid!r}, which source {src!r} "
                "does not have.",
                "Fix the prompt id in the seed file or remove the trace.",
            )
        if pid not in train_ids[src]:
            left_out["prompt not in the train split"] += 1
            continue
        prompt = Prompt.from_dict(base.to_dict())
        attack = rec.get("attack")
        if rec["kind"] == "jailbreak":
            if not attack:
                raise SaroError(
                    f"Jailbreak seed trace {rec['id']!r} has no 'attack'.",
                    "Add {'id': ..., 'seed': ...}.",
                )
            if attacks is None:
                attacks = {a.id: a for a in load_attacks()}
                train_attacks = {
                    a.id for a in split_attacks(list(attacks.values()), seed=split_seed).train
                }
            if attack["id"] not in attacks:
                raise SaroError(
                    f"Seed trace {rec['id']!r} uses unknown attack {attack['id']!r}.",
                    "Use an attack id from saro.attacks.load_attacks().",
                )
            if attack["id"] not in train_attacks:
                left_out["attack not in the train split"] += 1
                continue
            prompt.text = apply_attack(attacks[attack["id"]], base.text, attack.get("seed", 0))
            prompt.kind, prompt.attack = "jailbreak", attack["id"]
            prompt.id = f"{base.id}/jb-{attack['id']}"
            prompt.meta = {**prompt.meta, "base_id": base.id}
        else:
            prompt.kind = rec["kind"]
        meta = {"correction": check_correction(rec)} if rec.get("correction") else {}
        traces.append(
            SeedTrace(
                rec["id"],
                prompt,
                list(rec["policy"]),
                list(rec["steps"]),
                rec["answer"],
                attack,
                meta,
            )
        )
    return traces


def check_correction(rec: dict[str, Any]) -> dict[str, int]:
    """A record's ``correction``, checked: 1 <= drift_step < reflection_step <= len(steps).

    Raises:
        SaroError: Naming the trace, when the step numbers are missing or out of range.
    """
    c = rec["correction"]
    d = c.get("drift_step") if isinstance(c, dict) else None
    r = c.get("reflection_step") if isinstance(c, dict) else None
    n = len(rec["steps"])
    if not (isinstance(d, int) and isinstance(r, int) and 1 <= d < r <= n):
        raise SaroError(
            f"Seed trace {rec['id']!r} has correction {c!r}, which does not fit its {n} steps.",
            "Give {'drift_step': D, 'reflection_step': R} with 1 <= D < R <= the number of "
            "steps (1-based).",
        )
    return {"drift_step": d, "reflection_step": r}
