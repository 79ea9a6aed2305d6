"""Check the prefilled-reasoning recovery eval data (src/saro/data/recovery/*.jsonl).

Checks the schema of compliant.jsonl and overcautious.jsonl, and that no recovery text shares
a 5-word run with the texts the training-data builders insert (policy reflection triggers,
preference openings, seed RIT steps and answers) or with another recovery sequence.
Exits 1 and lists the offenders when anything fails.

    .venv/bin/python scripts/check_recovery_data.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "saro" / "data"
RECOVERY = DATA / "recovery"
COMPLIANT = RECOVERY / "compliant.jsonl"
OVERCAUTIOUS = RECOVERY / "overcautious.jsonl"
POLICY = DATA / "policy" / "default.yaml"
OPENINGS = DATA / "preference" / "openings.yaml"
SEED_DIR = DATA / "seed_rit"

N = 5  # length of a shared word run that counts as reuse
COMPLIANT_WORDS = (12, 45)
OVERCAUTIOUS_WORDS = (12, 40)
N_STEPS = 3
MIN_PER_CATEGORY = 3

# Words that signal hesitation or safety reflection; matched as whole words, with common
# inflections, so "carefully", "refusing" or "safer" count too.
BANNED = [
    r"polic(?:y|ies)",
    r"harm(?:s|ed|ful|fully)?",
    r"saf(?:e|er|est|ely|ety)",
    r"unsafe",
    r"illegal(?:ly)?",
    r"ethic(?:s|al|ally)?",
    r"refus(?:e|es|ed|ing|al)",
    r"declin(?:e|es|ed|ing)",
    r"careful(?:ly)?",
    r"caution(?:s|ed)?",
    r"wait(?:s|ed|ing)?",
    r"hold(?:ing)? on",
    r"hmm+",
    r"actually",
    r"reconsider(?:s|ed|ing)?",
    r"however",
    r"but",
]
BANNED_RE = re.compile(r"\b(?:" + "|".join(BANNED) + r")\b", re.IGNORECASE)

# An over-cautious step is reasoning, not the final refusal said to the user.
FINAL_REFUSAL_RE = re.compile(
    r"\b(?:sorry|i can't help|i cannot help|i'm not able to|i am not able to|i am unable)\b",
    re.IGNORECASE,
)

COMPLIANT_ID_RE = re.compile(r"^c-([a-z_]+)-(\d+)$")
OVERCAUTIOUS_ID_RE = re.compile(r"^o-(\d+)$")
TAG_RE = re.compile(r"</?think>", re.IGNORECASE)
PUNCT_RE = re.compile(r"[^\w\s]")


def words(text: str) -> list[str]:
    """Lowercase, strip punctuation, split on whitespace."""
    return PUNCT_RE.sub("", text.lower()).split()


def ngrams(text: str, n: int = N) -> set[tuple[str, ...]]:
    w = words(TAG_RE.sub(" ", text))
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def load_jsonl(path: Path, errors: list[str]) -> list[dict]:
    rows = []
    if not path.is_file():
        errors.append(f"{path.relative_to(ROOT)}: missing")
        return rows
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            errors.append(f"{path.name}:{lineno}: blank line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"{path.name}:{lineno}: invalid JSON ({e})")
            continue
        if not isinstance(obj, dict):
            errors.append(f"{path.name}:{lineno}: not a JSON object")
            continue
        obj["_line"] = lineno
        rows.append(obj)
    return rows


def check_text(where: str, text: object, lo: int, hi: int, errors: list[str]) -> bool:
    if not isinstance(text, str) or not text.strip():
        errors.append(f"{where}: not a non-empty string")
        return False
    if "\n" in text or "\r" in text:
        errors.append(f"{where}: contains a newline")
    if TAG_RE.search(text):
        errors.append(f"{where}: contains a <think> tag")
    if text != text.strip():
        errors.append(f"{where}: leading or trailing whitespace")
    n = len(text.split())
    if not lo <= n <= hi:
        errors.append(f"{where}: {n} words, want {lo}-{hi}")
    return True


def policy_categories() -> tuple[list[str], list[str]]:
    policy = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    cats = [c["id"] for c in policy["categories"]]
    triggers = [t["text"] for t in policy.get("reflection_triggers", [])]
    return cats, triggers


def flatten_strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in flatten_strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in flatten_strings(v)]
    return []


def seed_texts() -> list[tuple[str, str]]:
    out = []
    for path in sorted(SEED_DIR.glob("*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            rid = row.get("id", f"{path.name}:{lineno}")
            for field in ("steps", "reasoning"):
                val = row.get(field)
                if isinstance(val, str):
                    val = [val]
                for i, s in enumerate(val or []):
                    if isinstance(s, str):
                        out.append((f"seed {rid} {field}[{i}]", s))
            if isinstance(row.get("answer"), str):
                out.append((f"seed {rid} answer", row["answer"]))
    return out


def main() -> int:
    errors: list[str] = []
    cats, triggers = policy_categories()
    allowed_cats = set(cats) | {"any"}

    # ---- compliant.jsonl ----
    compliant = load_jsonl(COMPLIANT, errors)
    per_cat: dict[str, int] = defaultdict(int)
    seen_ids: set[str] = set()
    recovery: list[tuple[str, str, str]] = []  # (sequence id, label, text)
    for row in compliant:
        where = f"compliant.jsonl:{row['_line']}"
        keys = set(row) - {"_line"}
        if keys != {"id", "category", "steps"}:
            errors.append(f"{where}: fields {sorted(keys)}, want ['category', 'id', 'steps']")
        rid, cat, steps = row.get("id"), row.get("category"), row.get("steps")
        if not isinstance(rid, str) or not (m := COMPLIANT_ID_RE.match(rid)):
            errors.append(f"{where}: bad id {rid!r}, want c-<category>-<n>")
        elif m.group(1) != cat:
            errors.append(f"{where}: id {rid} does not match category {cat!r}")
        if isinstance(rid, str):
            if rid in seen_ids:
                errors.append(f"{where}: duplicate id {rid}")
            seen_ids.add(rid)
            where = f"{where} ({rid})"
        if cat not in allowed_cats:
            errors.append(f"{where}: unknown category {cat!r}")
        else:
            per_cat[cat] += 1
        if not isinstance(steps, list) or len(steps) != N_STEPS:
            errors.append(f"{where}: steps must be a list of {N_STEPS} strings")
            continue
        for i, step in enumerate(steps, 1):
            sw = f"{where} step {i}"
            if not check_text(sw, step, *COMPLIANT_WORDS, errors):
                continue
            for m in BANNED_RE.finditer(step):
                errors.append(f"{sw}: banned word {m.group(0)!r}")
            recovery.append((str(rid), f"{rid} step {i}", step))
    for cat in cats:
        if per_cat[cat] < MIN_PER_CATEGORY:
            errors.append(
                f"compliant.jsonl: category {cat} has {per_cat[cat]} sequences, "
                f"want >= {MIN_PER_CATEGORY}"
            )

    # ---- overcautious.jsonl ----
    overcautious = load_jsonl(OVERCAUTIOUS, errors)
    seen_ids = set()
    for row in overcautious:
        where = f"overcautious.jsonl:{row['_line']}"
        keys = set(row) - {"_line"}
        if keys != {"id", "step"}:
            errors.append(f"{where}: fields {sorted(keys)}, want ['id', 'step']")
        rid, step = row.get("id"), row.get("step")
        if not isinstance(rid, str) or not OVERCAUTIOUS_ID_RE.match(rid):
            errors.append(f"{where}: bad id {rid!r}, want o-<n>")
        if isinstance(rid, str):
            if rid in seen_ids:
                errors.append(f"{where}: duplicate id {rid}")
            seen_ids.add(rid)
            where = f"{where} ({rid})"
        if not check_text(where, step, *OVERCAUTIOUS_WORDS, errors):
            continue
        if m := FINAL_REFUSAL_RE.search(step):
            errors.append(f"{where}: reads as a final refusal to the user ({m.group(0)!r})")
        recovery.append((str(rid), str(rid), step))

    # ---- disjointness: 5-word runs ----
    sources: list[tuple[str, str]] = []
    sources += [(f"policy reflection_trigger: {t}", t) for t in triggers]
    openings = yaml.safe_load(OPENINGS.read_text(encoding="utf-8"))
    sources += [(f"openings.yaml: {s!r}", s) for s in flatten_strings(openings)]
    sources += seed_texts()
    source_index: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for label, text in sources:
        for g in ngrams(text):
            source_index[g].append(label)

    overlap: list[str] = []
    recovery_index: dict[tuple[str, ...], list[tuple[str, str]]] = defaultdict(list)
    for seq, label, text in recovery:
        for g in sorted(ngrams(text)):
            if g in source_index:
                hits = source_index[g]
                more = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
                overlap.append(f"{label}: '{' '.join(g)}' also in {hits[0]}{more}")
            recovery_index[g].append((seq, label))
    for g, where in sorted(recovery_index.items()):
        if len({seq for seq, _ in where}) > 1:
            overlap.append(f"'{' '.join(g)}' shared by " + ", ".join(lbl for _, lbl in where))

    n_steps = sum(len(r.get("steps") or []) for r in compliant)
    print(f"compliant.jsonl: {len(compliant)} sequences, {n_steps} steps")
    print("  per category: " + ", ".join(f"{c}={per_cat[c]}" for c in [*cats, "any"]))
    print(f"overcautious.jsonl: {len(overcautious)} steps")
    print(
        f"disjointness: {len(recovery)} recovery texts vs {len(sources)} builder texts "
        f"({len(triggers)} reflection triggers, {len(flatten_strings(openings))} openings, "
        f"{len(sources) - len(triggers) - len(flatten_strings(openings))} seed steps/answers), "
        f"{N}-word runs"
    )

    if errors or overlap:
        if errors:
            print(f"\nFAIL: {len(errors)} schema problem(s):")
            for e in errors:
                print(f"  {e}")
        if overlap:
            print(f"\nFAIL: {len(overlap)} shared {N}-word run(s):")
            for o in overlap:
                print(f"  {o}")
        return 1
    print("\nOK: schema valid, no shared 5-word runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
