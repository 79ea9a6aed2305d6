"""Local files as prompt sources: ``path.jsonl:field``, ``path.csv:column`` or ``path.json``.

A user brings their own prompts by naming a file wherever a source name is accepted::

    saro sources show data/mine.jsonl:prompt
    load_source("data/mine.csv:question", kind="benign", category_field="topic")

The text after the last ``:`` names the prompt field (default: ``text``, else ``prompt``).
Every problem (missing or empty file, malformed line, missing field, duplicate id) is a
:class:`~saro.errors.SaroError` that names the file and line.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from saro.errors import SaroError
from saro.records import KINDS, Prompt, stable_id
from saro.store import read_jsonl

_SPEC_HELP = "A local source is PATH.jsonl[:FIELD], PATH.csv[:COLUMN] or PATH.json[:FIELD]."
_DEFAULT_FIELDS = ("text", "prompt")


def parse_spec(spec: str) -> tuple[Path, str | None]:
    """Split ``path[:field]`` into the path and the field (None when not given)."""
    if ":" in spec and not Path(spec).exists():
        path, field = spec.rsplit(":", 1)
        if field and "/" not in field and "\\" not in field:
            return Path(path), field
    return Path(spec), None


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, record) from a JSONL, CSV or JSON file."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        # read_jsonl skips blank lines, so count lines here to name them right
        with path.open(encoding="utf-8") as fh:
            numbers = [n for n, line in enumerate(fh, 1) if line.strip()]
        yield from zip(numbers, read_jsonl(path), strict=False)
    elif suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                yield reader.line_num, row
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise SaroError(
                f"{path}:{err.lineno} is not valid JSON ({err.msg}).",
                "Fix the file; a .json source holds a list of objects.",
            ) from None
        if isinstance(data, dict):  # {"prompts": [...]} and similar wrappers
            lists = [v for v in data.values() if isinstance(v, list)]
            data = lists[0] if len(lists) == 1 else data
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise SaroError(f"{path} does not hold a list of objects.", _SPEC_HELP)
        for i, row in enumerate(data, 1):
            yield i, row
    else:
        raise SaroError(f"Cannot read {str(path)!r}: unknown file type {suffix!r}.", _SPEC_HELP)


def _source_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9_-]+", "_", path.stem.lower()).strip("_") or "local"


def load_file(
    spec: str,
    *,
    field: str | None = None,
    kind: str = "general",
    kind_field: str | None = None,
    id_field: str | None = None,
    category_field: str | None = None,
    reference_field: str | None = None,
    source: str | None = None,
) -> list[Prompt]:
    """Load prompts from a local JSONL, CSV or JSON file.

    Args:
        spec: ``path[:field]``; the field holds the prompt text.
        field: The prompt field, when not given in ``spec``.
        kind: Kind of every prompt (one of :data:`saro.records.KINDS`), unless ``kind_field``.
        kind_field: Field holding each prompt's kind.
        id_field: Field holding each prompt's id (default: a hash of the text).
        category_field: Field holding the category (stored lower case).
        reference_field: Field holding the gold answer (math answer, choice letter).
        source: Source name for ids and the ``source`` field (default: the file's stem).

    Returns:
        The prompts in file order; exact repeats of a text (without ``id_field``) keep the first.
    """
    path, spec_field = parse_spec(spec)
    field = spec_field or field
    if kind not in KINDS:
        raise SaroError(f"Unknown prompt kind {kind!r} for {path}.", f"Use one of {KINDS}.")
    if not path.exists():
        raise SaroError(f"File {str(path)!r} does not exist.", f"Check the path. {_SPEC_HELP}")
    if path.is_dir():
        raise SaroError(f"{str(path)!r} is a folder, not a file.", _SPEC_HELP)
    name = source or _source_name(path)
    prompts: list[Prompt] = []
    seen: dict[str, int] = {}
    for lineno, row in _rows(path):
        if field is None:
            field = next((f for f in _DEFAULT_FIELDS if f in row), None)
            if field is None:
                raise SaroError(
                    f"{path}:{lineno} has neither a 'text' nor a 'prompt' field "
                    f"(fields: {', '.join(map(str, row)) or 'none'}).",
                    f"Name the prompt field after a colon, e.g. {path}:{next(iter(row), 'FIELD')}.",
                )
        text = _get(row, field, path, lineno, what="prompt")
        if not str(text).strip():
            raise SaroError(
                f"{path}:{lineno} has an empty {field!r}.", "Fill it in or delete that record."
            )
        row_kind = str(_get(row, kind_field, path, lineno, what="kind")) if kind_field else kind
        if row_kind not in KINDS:
            raise SaroError(
                f"{path}:{lineno} has unknown kind {row_kind!r}.", f"Use one of {KINDS}."
            )
        local = str(_get(row, id_field, path, lineno, what="id")) if id_field else stable_id(text)
        if local in seen:
            if not id_field:
                continue  # the same text again
            raise SaroError(
                f"{path}:{lineno} repeats the id {local!r} of line {seen[local]}.",
                f"Ids in {id_field!r} must be unique.",
            )
        seen[local] = lineno
        category = (
            _get(row, category_field, path, lineno, what="category") if category_field else ""
        )
        reference = (
            _get(row, reference_field, path, lineno, what="reference") if reference_field else None
        )
        used = {field, kind_field, id_field, category_field, reference_field}
        prompts.append(
            Prompt(
                id=f"{name}/{local}",
                text=str(text).strip(),
                kind=row_kind,
                category=str(category or "").strip().lower(),
                source=name,
                reference=None if reference in (None, "") else str(reference),
                meta={k: v for k, v in row.items() if k not in used},
            )
        )
    if not prompts:
        raise SaroError(f"{path} holds no prompts.", "Add one record per prompt.")
    return prompts


def _get(row: dict[str, Any], field: str | None, path: Path, lineno: int, *, what: str) -> Any:
    if field not in row or row[field] is None:
        raise SaroError(
            f"{path}:{lineno} lacks the {what} field {field!r} "
            f"(fields: {', '.join(map(str, row)) or 'none'}).",
            f"Add it, or map another field ({_SPEC_HELP}).",
        )
    return row[field]
