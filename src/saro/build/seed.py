"""The offline seed RIT set: curated reasoning traces written for this project.

No strong teacher model exists offline, so the package ships hand-written, policy-grounded
traces (``saro/data/seed_rit/*.jsonl``) as the stand-in for a teacher. A trace references its
prompt by source and id; the prompt text is read from the source at load time (and, for
jailbreak traces, wrapped with the named training attack), so the package ships no copy of
third-party prompts. Math traces are GSM8K train solutions reformatted into steps
(``scripts/make_seed_math.py``).
"""

from __future__ import annotations

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
    folder: str | Path | None = None, *, kinds: tuple[str, ...] | None = None, split_seed: int = 0
) -> list[SeedTrace]:
    """Load and resolve the seed set.

    Raises:
        SaroError: A trace references a prompt id its source does not have (named), or an
            attack id that does not exist.
    """
    from saro.attacks import apply_attack, load_attacks
    from saro.sources import load_source

    by_source: dict[str, dict[str, Prompt]] = {}
    attacks = None
    traces = []
    for rec in read_seed_records(folder):
        if kinds and rec["kind"] not in kinds:
            continue
        src, pid = rec["prompt"]["source"], rec["prompt"]["id"]
        if src not in by_source:
            by_source[src] = {p.id: p for p in load_source(src, seed=split_seed, split=None)}
        base = by_source[src].get(pid)
        if base is None:
            raise SaroError(
                f"Seed trace {rec['id']!r} references prompt {pid!r}, which source {src!r} "
                "does not have.",
                "Fix the prompt id in the seed file or remove the trace.",
            )
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
            if attack["id"] not in attacks:
                raise SaroError(
                    f"Seed trace {rec['id']!r} uses unknown attack {attack['id']!r}.",
                    "Use an attack id from saro.attacks.load_attacks().",
                )
            prompt.text = apply_attack(attacks[attack["id"]], base.text, attack.get("seed", 0))
            prompt.kind, prompt.attack = "jailbreak", attack["id"]
            prompt.id = f"{base.id}/jb-{attack['id']}"
            prompt.meta = {**prompt.meta, "base_id": base.id}
        else:
            prompt.kind = rec["kind"]
        traces.append(
            SeedTrace(
                rec["id"], prompt, list(rec["policy"]), list(rec["steps"]), rec["answer"], attack
            )
        )
    return traces
