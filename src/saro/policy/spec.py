"""The safety policy: a versioned YAML file of categories, principles and reflection triggers.

The policy is data (``saro/data/policy/default.yaml``); this module loads and validates it, maps
each source's harm-category strings to a policy category id, and renders it into text for teacher
system prompts, judge rubrics and a compact form a small model can learn to cite::

    from saro.policy import Policy

    policy = Policy.load()                      # or Policy.load("my_policy.yaml")
    policy.category_for("strongreject", "Violence")           # -> "violence"
    policy.category_for("adv_bench", ["Privacy loss", "Physical"], text=prompt.text)
    system = policy.render("teacher")

Command line: ``saro policy show [--file F] [--format yaml|text] [--kind teacher|judge|brief]``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from saro.errors import SaroError, unknown_name
from saro.policy.render import RENDERERS
from saro.policy.schema import label_key, validate
from saro.records import normalize_text

RENDER_KINDS: tuple[str, ...] = ("teacher", "judge", "brief")


@dataclass(frozen=True)
class Category:
    """One policy category; see the schema comment at the top of ``default.yaml``."""

    id: str
    name: str
    brief: str
    description: str
    disallowed: tuple[str, ...]
    allowed: tuple[str, ...]
    safe_completion: str
    resources: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trigger:
    """A phrasing that opens a safety-reflection step (used by PP-COT)."""

    id: str
    text: str


@dataclass
class Policy:
    """A loaded, validated safety policy.

    Attributes:
        version: Schema version (1).
        name: Policy name, recorded in manifests next to :attr:`sha256`.
        description: One paragraph about the policy.
        principles: ``(id, text)`` rules that apply to every category.
        categories: Categories from most to least severe.
        broad_labels: Normalised labels for which the prompt text may override the label.
        triggers: Reflection triggers.
        sha256: Digest of the source text, so a run records exactly which policy it used.
        origin: Where the policy was read from.
    """

    version: int
    name: str
    description: str
    principles: list[tuple[str, str]]
    categories: list[Category]
    broad_labels: frozenset[str] = frozenset()
    triggers: list[Trigger] = field(default_factory=list)
    sha256: str = ""
    origin: str = ""

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path | None = None) -> Policy:
        """Load a policy file (default: the packaged ``default.yaml``) and validate it."""
        if path is None:
            text = resources.files("saro.data").joinpath("policy/default.yaml").read_text("utf-8")
            origin = "saro:data/policy/default.yaml"
        else:
            path = Path(path)
            if not path.is_file():
                raise SaroError(
                    f"Policy file {str(path)!r} does not exist.",
                    "Pass the path of a policy YAML (see `saro policy show --format yaml`).",
                )
            text, origin = path.read_text("utf-8"), str(path)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise SaroError(
                f"Policy file {origin!r} is not valid YAML{where}.",
                "Fix the YAML syntax (quote values that contain ': ').",
            ) from None
        return cls.from_dict(data, origin=origin, sha256=hashlib.sha256(text.encode()).hexdigest())

    @classmethod
    def from_dict(cls, data: object, *, origin: str = "<dict>", sha256: str = "") -> Policy:
        """Build a policy from parsed YAML, raising :class:`SaroError` on any schema problem."""
        validate(data, origin)
        assert isinstance(data, dict)  # validate() guarantees it; narrows the type
        cats = [
            Category(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in c.items()},
            )
            for c in data["categories"]
        ]
        return cls(
            version=data["version"],
            name=data["name"],
            description=data.get("description", ""),
            principles=[(p["id"], p["text"]) for p in data.get("principles", [])],
            categories=cats,
            broad_labels=frozenset(label_key(b) for b in data.get("broad_labels", [])),
            triggers=[Trigger(t["id"], t["text"]) for t in data["reflection_triggers"]],
            sha256=sha256 or hashlib.sha256(repr(data).encode()).hexdigest(),
            origin=origin,
        )

    # ----------------------------------------------------------------- lookup
    @property
    def ids(self) -> list[str]:
        """Category ids, most severe first."""
        return [c.id for c in self.categories]

    def category(self, category_id: str) -> Category:
        """Return a category by id."""
        for c in self.categories:
            if c.id == category_id:
                return c
        raise unknown_name("policy category", category_id, self.ids)

    def trigger(self, trigger_id: str) -> Trigger:
        """Return a reflection trigger by id."""
        for t in self.triggers:
            if t.id == trigger_id:
                return t
        raise unknown_name("reflection trigger", trigger_id, [t.id for t in self.triggers])

    @property
    def label_map(self) -> dict[str, str]:
        """Normalised source label -> category id."""
        return {label_key(lab): c.id for c in self.categories for lab in c.labels}

    def cue_scores(self, text: str) -> dict[str, int]:
        """Number of distinct cues of each category found in ``text`` (word-prefix match)."""
        low = " " + normalize_text(text) + " "
        scores = {}
        for c in self.categories:
            hits = sum(1 for cue in c.cues if f" {label_key(cue)}" in low)
            if hits:
                scores[c.id] = hits
        return scores

    def category_or_none(
        self, source: str, category: str | Sequence[str] | None, text: str | None = None
    ) -> str | None:
        """:meth:`category_for`, or None where neither the label nor the text maps (scoring a
        prompt by category must not stop an evaluation)."""
        try:
            return self.category_for(source, category, text)
        except SaroError:
            return None

    def category_for(
        self, source: str, category: str | Sequence[str] | None, text: str | None = None
    ) -> str:
        """Map a source's category label(s) to a policy category id.

        Args:
            source: Source registry name (used in error messages).
            category: The source's label, a list of labels, or labels joined by ``;`` or ``|``
                (AdvBench gives several impact-style tags per prompt).
            text: The prompt text. When the labels are several or only broad, the category
                whose cues the text matches best wins (labels' categories win ties).

        Returns:
            A category id. Among several labels without a text decision, the most severe wins.

        Raises:
            SaroError: No label given and no cue matched, or a label is not mapped.
        """
        mapping = self.label_map
        labels = _expand_commas(_split_labels(category), mapping)
        found: list[str] = []
        for lab in labels:
            if label_key(lab) not in mapping:
                raise SaroError(
                    f"Source {source!r} has category {lab!r}, which the policy "
                    f"{self.name!r} does not map.",
                    "Add it to the `labels` of a category in the policy file.",
                )
            found.append(mapping[label_key(lab)])
        candidates = [i for i in self.ids if i in found]  # severity order
        decisive = len(candidates) == 1 and not all(
            label_key(x) in self.broad_labels for x in labels
        )
        if decisive:
            return candidates[0]
        if text:
            scores = self.cue_scores(text)
            if scores:
                order = {cid: n for n, cid in enumerate(self.ids)}
                return max(scores, key=lambda c: (scores[c], c in candidates, -order[c]))
        if candidates:
            return candidates[0]
        raise SaroError(
            f"Cannot map a prompt from source {source!r} to a policy category: it has no "
            "category label and its text matches no category cue.",
            "Give the prompt a category, or add cues to the policy file.",
        )

    # ----------------------------------------------------------------- rendering
    def render(self, kind: str = "teacher") -> str:
        """Render the policy as text: ``teacher`` (full), ``judge`` (rubric) or ``brief``."""
        if kind not in RENDERERS:
            raise unknown_name("policy rendering", kind, RENDERERS)
        return RENDERERS[kind](self)


def _split_labels(category: str | Sequence[str] | None) -> list[str]:
    if category is None:
        return []
    if isinstance(category, str):
        parts: Iterable[str] = re.split(r"[;|]", category)
    else:
        parts = category
    return [p.strip() for p in parts if p and p.strip()]


def _expand_commas(labels: list[str], mapping: dict[str, str]) -> list[str]:
    """Split ``"a, b"`` into labels only when the whole string is not itself a label."""
    out: list[str] = []
    for lab in labels:
        parts = [p.strip() for p in lab.split(",") if p.strip()]
        whole_known = label_key(lab) in mapping
        split_known = len(parts) > 1 and all(label_key(p) in mapping for p in parts)
        out.extend(parts if split_known and not whole_known else [lab])
    return out
