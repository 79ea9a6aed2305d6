"""Deterministic, seeded train/dev/test splits with no near-duplicate text across splits.

Two levels:

* :func:`assign_splits` splits one pool of prompts. Near-duplicates (:mod:`.dedup`) form
  groups that always land in one split; groups are ordered by a hash of ``(seed, group key)``
  and cut at the split fractions, so the same prompts and seed always give the same splits and
  another seed gives others. Groups containing a held-out prompt go to ``test``.
* :class:`SplitPlan` splits several sources. Each source is split on its own (so a source's
  split never depends on which other sources are in the plan); eval-only sources (StrongREJECT,
  HarmBench, the 80 over-refusal probes, every hub benchmark) are test-only, train-only sources
  (prompts written for this project to train on, ``edgy``) are train-only. Then, across
  sources, a prompt that is a near-duplicate of a prompt in a more held-out split is dropped
  (test beats dev beats train): AdvBench behaviours that StrongREJECT repeats never reach
  training. :meth:`SplitPlan.run` returns the kept prompts and a JSON-able manifest.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from saro import __version__
from saro.errors import SaroError
from saro.records import SPLITS, Prompt
from saro.sources.dedup import (
    DEFAULT_SHINGLE,
    DEFAULT_THRESHOLD,
    groups_from_pairs,
    near_duplicate_pairs,
)
from saro.sources.registry import SOURCES, eval_only, is_local_spec, load_unsplit

DEFAULT_FRACTIONS: dict[str, float] = {"train": 0.8, "dev": 0.1, "test": 0.1}
_RANK = {name: i for i, name in enumerate(SPLITS)}  # train < dev < test: test wins conflicts


def check_fractions(fractions: dict[str, float]) -> dict[str, float]:
    """Validate split fractions: known split names, non-negative, summing to 1."""
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise SaroError(f"Unknown split(s) {sorted(unknown)}.", f"Splits are {', '.join(SPLITS)}.")
    if any(v < 0 for v in fractions.values()) or abs(sum(fractions.values()) - 1) > 1e-6:
        raise SaroError(
            f"Split fractions {fractions} must be non-negative and sum to 1.",
            "For example train=0.8, dev=0.1, test=0.1.",
        )
    return {s: float(fractions.get(s, 0.0)) for s in SPLITS}


def _order_key(seed: int, key: str) -> str:
    return hashlib.sha256(f"{seed}\x1f{key}".encode()).hexdigest()


def assign_splits(
    prompts: Sequence[Prompt],
    *,
    seed: int = 0,
    fractions: dict[str, float] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    held_out: Callable[[Prompt], bool] | None = None,
    pairs: Sequence[tuple[int, int]] | None = None,
) -> list[Prompt]:
    """Return copies of ``prompts`` with ``split`` set; near-duplicates share a split.

    Args:
        prompts: One pool (usually one source); ids must be unique.
        seed: Changes which groups go where, never the group structure.
        fractions: Share of prompts per split (default 0.8/0.1/0.1); held-out prompts are
            extra test prompts on top of the rest's test share.
        threshold: Shingle Jaccard at or above which two texts are near-duplicates.
        held_out: Prompts for which it returns True go to test with their whole group.
        pairs: Precomputed near-duplicate index pairs (skips the search).

    Returns:
        New prompt objects in input order.
    """
    fracs = check_fractions(fractions or DEFAULT_FRACTIONS)
    if pairs is None:
        pairs = near_duplicate_pairs([p.text for p in prompts], threshold=threshold)
    labels = groups_from_pairs(len(prompts), pairs)
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(label, []).append(i)
    forced = {
        lab for lab, idx in members.items() if held_out and any(held_out(prompts[i]) for i in idx)
    }
    # A group's key is its smallest id, so it does not depend on the input order.
    free = sorted(
        (lab for lab in members if lab not in forced),
        key=lambda lab: _order_key(seed, min(prompts[i].id for i in members[lab])),
    )
    split_of: dict[int, str] = {lab: "test" for lab in forced}
    total = sum(len(members[lab]) for lab in free)
    bounds, acc = [], 0.0
    for name in SPLITS:
        acc += fracs[name]
        bounds.append((acc, name))
    done = 0
    for lab in free:
        size = len(members[lab])
        middle = (done + size / 2) / total  # where the group's centre falls in [0, 1]
        split_of[lab] = next((name for edge, name in bounds if middle < edge), bounds[-1][1])
        done += size
    return [replace(p, split=split_of[labels[i]], meta=dict(p.meta)) for i, p in enumerate(prompts)]


@dataclass
class PlanEntry:
    """One source in a split plan.

    Attributes:
        source: Registry name or local file spec.
        eval_only: Force test-only (True) or splittable (False); None uses the registry's rule.
        options: Options passed to :func:`saro.sources.load_source`.
        optional: A source that cannot be loaded here (an unreachable hub) is left out of the
            plan instead of failing it.
    """

    source: str
    eval_only: bool | None = None
    options: dict[str, Any] = field(default_factory=dict)
    optional: bool = False


@dataclass
class SplitPlan:
    """Several sources split together; :meth:`run` gives prompts and a manifest.

    Attributes:
        entries: The sources.
        seed: Split seed.
        fractions: Split shares for splittable prompts.
        threshold: Near-duplicate Jaccard threshold (word 5-grams).
    """

    entries: list[PlanEntry]
    seed: int = 0
    fractions: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FRACTIONS))
    threshold: float = DEFAULT_THRESHOLD

    @classmethod
    def of(cls, sources: Iterable[str], **kwargs: Any) -> SplitPlan:
        """A plan over source names with the registry's eval-only rules."""
        return cls(entries=[PlanEntry(s) for s in sources], **kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [vars(e) for e in self.entries],
            "seed": self.seed,
            "fractions": check_fractions(self.fractions),
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitPlan:
        entries = [PlanEntry(**e) if isinstance(e, dict) else PlanEntry(e) for e in data["entries"]]
        return cls(entries=entries, **{k: v for k, v in data.items() if k != "entries"})

    def run(self) -> tuple[list[Prompt], dict[str, Any]]:
        """Load, split and cross-check every source.

        Returns:
            ``(prompts, manifest)``: the kept prompts with ``split`` set (plan order, then
            source order) and a JSON-able manifest with per-source and per-split counts,
            dropped duplicates, the seed, and the wheel checksums.
        """
        loaded: list[tuple[PlanEntry, list[Prompt]]] = []
        for entry in self.entries:
            try:
                prompts = load_unsplit(entry.source, **entry.options)
            except SaroError:
                if entry.optional:
                    continue
                raise
            loaded.append((entry, prompts))
        everything = [p for _, ps in loaded for p in ps]
        repeated = [i for i, c in Counter(p.id for p in everything).items() if c > 1]
        if repeated:
            dup = repeated[0]
            raise SaroError(
                f"Prompt id {dup!r} occurs twice in the split plan.", "List each source once."
            )
        pairs = near_duplicate_pairs([p.text for p in everything], threshold=self.threshold)
        split_prompts = self._split_each(loaded, pairs)
        kept, dropped = _drop_cross_split_duplicates(split_prompts, pairs)
        return kept, self._manifest(loaded, kept, dropped, pairs)

    def _split_each(
        self, loaded: list[tuple[PlanEntry, list[Prompt]]], pairs: Sequence[tuple[int, int]]
    ) -> list[Prompt]:
        out: list[Prompt] = []
        start = 0
        for entry, prompts in loaded:
            end = start + len(prompts)
            # only pairs inside this source: a source's split never depends on the others
            local = [(a - start, b - start) for a, b in pairs if start <= a and b < end]
            info = SOURCES.get(entry.source)
            if info is not None and info.train_only and not entry.eval_only:
                out += [replace(p, split="train") for p in prompts]  # written to train on
                start = end
                continue
            rule = eval_only if entry.eval_only is None else (lambda p, v=entry.eval_only: v)
            out += assign_splits(
                prompts, seed=self.seed, fractions=self.fractions, held_out=rule, pairs=local
            )
            start = end
        return out

    def _manifest(self, loaded, kept, dropped, pairs) -> dict[str, Any]:
        from saro.wheels import WHEELS

        per_source: dict[str, Any] = {}
        wheels: dict[str, str] = {}
        for entry, prompts in loaded:
            name = prompts[0].source if prompts else entry.source
            counts = dict.fromkeys(SPLITS, 0)
            for p in kept:
                if p.source == name:
                    counts[p.split] += 1
            info = SOURCES.get(entry.source)
            origin = info.origin if info else _file_origin(entry.source)
            if info and info.offline:
                dist = origin.split("==", 1)[0]
                if dist in WHEELS:
                    wheels[dist] = WHEELS[dist].sha256
            per_source[entry.source] = {
                "loaded": len(prompts),
                "eval_only": sum(1 for p in prompts if _held_out(entry, p)),
                "splits": counts,
                "dropped": sum(1 for d in dropped if d["source"] == name),
                "origin": origin,
                "license": info.license if info else "user-provided",
            }
        totals = dict.fromkeys(SPLITS, 0)
        for p in kept:
            totals[p.split] += 1
        return {
            "schema": 1,
            "saro_version": __version__,
            **self.to_dict(),
            "shingle_words": DEFAULT_SHINGLE,
            "sources": per_source,
            "totals": totals,
            "near_duplicate_pairs": len(pairs),
            "dropped": dropped,
            "wheels": dict(sorted(wheels.items())),
        }


def _held_out(entry: PlanEntry, prompt: Prompt) -> bool:
    return eval_only(prompt) if entry.eval_only is None else entry.eval_only


def _file_origin(spec: str) -> str:
    from saro.sources.local import parse_spec

    path, _ = parse_spec(spec)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"
    return f"file:{path} sha256:{digest}"


def _drop_cross_split_duplicates(
    prompts: list[Prompt], pairs: Sequence[tuple[int, int]]
) -> tuple[list[Prompt], list[dict[str, str]]]:
    """Drop every prompt that near-duplicates one in a more held-out split (test first)."""
    alive = [True] * len(prompts)
    dropped: list[dict[str, str]] = []
    for winner in ("test", "dev"):
        for a, b in pairs:
            if not (alive[a] and alive[b]):
                continue
            for keep, lose in ((a, b), (b, a)):
                if prompts[keep].split == winner and _RANK[prompts[lose].split] < _RANK[winner]:
                    alive[lose] = False
                    lost = prompts[lose]
                    dropped.append(
                        {
                            "id": lost.id,
                            "source": lost.source,
                            "split": lost.split,
                            "near_duplicate_of": prompts[keep].id,
                        }
                    )
                    break
    return [p for p, ok in zip(prompts, alive, strict=True) if ok], dropped


def offline_sources() -> list[str]:
    """Names of every registered offline source, in registration order."""
    return [name for name, info in SOURCES.items() if info.offline]


def default_plan(seed: int = 0) -> SplitPlan:
    """The plan behind ``load_source(name, split=...)``: every offline source, 0.8/0.1/0.1."""
    return SplitPlan.of(offline_sources(), seed=seed)


def hub_eval_sources() -> list[str]:
    """The registered hub evaluation sources (whether they load here is the plan's business)."""
    return [n for n, info in SOURCES.items() if not info.offline and not info.train_only]


def _train_only_hub(name: str, split: str, seed: int, opts: dict[str, Any]) -> list[Prompt]:
    """A hub training source: every prompt on the train side, less those that near-duplicate a
    held-out prompt of any offline source or of any hub evaluation source that loads (the
    same word 5-gram rule as the default plan)."""
    if split != "train":
        return []
    entries = [PlanEntry(s) for s in offline_sources()]
    entries += [PlanEntry(s, optional=True) for s in hub_eval_sources()]  # each loaded once
    plan = SplitPlan([*entries, PlanEntry(name, options=opts)], seed=seed)
    prompts, _ = plan.run()
    return [p for p in prompts if p.source == name and p.split == "train"]


def load_split(name: str, split: str, *, seed: int = 0, **opts: Any) -> list[Prompt]:
    """The prompts of ``name`` in ``split`` under the default plan (cached on disk).

    Offline sources use :func:`default_plan` so cross-source drops apply; a hub source, a
    local file or a source with options is split as a plan of its own.
    """
    if split not in SPLITS:
        raise SaroError(f"Unknown split {split!r}.", f"Use one of {', '.join(SPLITS)}.")
    info = SOURCES.get(name)
    if info is not None and info.train_only and not info.offline and not is_local_spec(name):
        return _train_only_hub(name, split, seed, opts)
    if opts or is_local_spec(name) or not SOURCES.get(name) or not SOURCES[name].offline:
        plan = SplitPlan([PlanEntry(name, options=opts)], seed=seed)
        prompts, _ = plan.run()
        return [p for p in prompts if p.split == split]
    from saro.sources.plancache import split_map

    assignment = split_map(default_plan(seed))
    return [
        replace(p, split=assignment[p.id])
        for p in load_unsplit(name)
        if assignment.get(p.id) == split
    ]
