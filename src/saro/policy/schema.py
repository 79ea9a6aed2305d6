"""Validation of a policy file (schema version 1), with one clear error per problem.

Kept apart from :mod:`saro.policy` so the loader reads as the happy path. Every check raises
:class:`saro.errors.SaroError` naming the file, the place (``categories[3].allowed``) and the fix.
"""

from __future__ import annotations

from typing import Any

from saro.errors import SaroError, nearest_hint
from saro.records import normalize_text

SUPPORTED_VERSIONS = (1,)

TOP_REQUIRED = {"version": int, "name": str, "categories": list, "reflection_triggers": list}
TOP_OPTIONAL = {"description": str, "principles": list, "broad_labels": list}

CATEGORY_REQUIRED = {
    "id": str,
    "name": str,
    "brief": str,
    "description": str,
    "disallowed": list,
    "allowed": list,
    "safe_completion": str,
}
CATEGORY_OPTIONAL = {"resources": list, "labels": list, "cues": list}
ITEM_REQUIRED = {"id": str, "text": str}  # principles and reflection triggers

_LISTS_OF_MAPPINGS = ("categories", "reflection_triggers", "principles")
_TYPE_NAMES = {int: "an integer", str: "a string", list: "a list"}


def label_key(label: str) -> str:
    """Normalise a source category string: case, ``_``/``-``/``/`` and spacing do not matter."""
    return normalize_text(label.replace("_", " "))


def _fail(origin: str, where: str, problem: str, fix: str) -> SaroError:
    return SaroError(f"Policy {origin!r}: {where} {problem}.", fix)


def _check_fields(
    obj: Any, where: str, required: dict, optional: dict, origin: str
) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _fail(origin, where, "is not a mapping", "Write it as `key: value` lines.")
    known = {**required, **optional}
    for key in obj:
        if key not in known:
            hint = nearest_hint(str(key), known)
            hint = f"{hint} " if hint else ""
            raise _fail(
                origin,
                where,
                f"has an unknown field {key!r}",
                f"{hint}Known fields: {', '.join(known)}.",
            )
    for key in required:
        if key not in obj or obj[key] is None:
            raise _fail(origin, where, f"is missing the required field {key!r}", f"Add `{key}:`.")
    for key, typ in known.items():
        if key not in obj:
            continue
        value = obj[key]
        # bool is a subclass of int, and YAML turns a bare `yes` into True
        if not isinstance(value, typ) or isinstance(value, bool):
            raise _fail(
                origin,
                f"{where}.{key}",
                f"must be {_TYPE_NAMES[typ]}",
                "Check the indentation and the value type against the default policy.",
            )
        if typ is str and not value.strip():
            raise _fail(origin, f"{where}.{key}", "is empty", f"Write the {key}.")
        if typ is list and key not in _LISTS_OF_MAPPINGS:
            for n, item in enumerate(value):
                if not isinstance(item, str) or not item.strip():
                    raise _fail(
                        origin, f"{where}.{key}[{n}]", "must be a non-empty string", "Fix the item."
                    )
    return obj


def _unique_ids(items: list, where: str, origin: str, what: str) -> None:
    seen: set[str] = set()
    for n, item in enumerate(items):
        _check_fields(item, f"{where}[{n}]", *_schema(what), origin)
        if item["id"] in seen:
            raise _fail(
                origin,
                f"{where}[{n}]",
                f"repeats the {what} id {item['id']!r}",
                "Give every entry a distinct id.",
            )
        seen.add(item["id"])


def _schema(what: str) -> tuple[dict, dict]:
    if what == "category":
        return CATEGORY_REQUIRED, CATEGORY_OPTIONAL
    return ITEM_REQUIRED, {}


def validate(data: Any, origin: str) -> None:
    """Raise :class:`SaroError` unless ``data`` is a valid version-1 policy."""
    if not isinstance(data, dict):
        raise _fail(origin, "the file", "is not a YAML mapping", "Start from the default policy.")
    _check_fields(data, "the top level", TOP_REQUIRED, TOP_OPTIONAL, origin)
    if data["version"] not in SUPPORTED_VERSIONS:
        raise _fail(
            origin,
            "version",
            f"is {data['version']!r}, which this saro does not support",
            f"Use version {SUPPORTED_VERSIONS[-1]}.",
        )
    cats = data["categories"]
    if not cats:
        raise _fail(origin, "categories", "is empty", "Define at least one category.")
    _unique_ids(cats, "categories", origin, "category")
    for n, cat in enumerate(cats):
        if not cat["disallowed"]:
            raise _fail(
                origin, f"categories[{n}].disallowed", "is empty", "List what is not allowed."
            )
    if not data["reflection_triggers"]:
        raise _fail(origin, "reflection_triggers", "is empty", "Add at least one trigger.")
    _unique_ids(data["reflection_triggers"], "reflection_triggers", origin, "trigger")
    _unique_ids(data.get("principles", []), "principles", origin, "principle")
    _check_labels(cats, data.get("broad_labels", []), origin)


def _check_labels(cats: list[dict], broad: list[str], origin: str) -> None:
    owner: dict[str, str] = {}
    for cat in cats:
        for lab in cat.get("labels", []):
            key = label_key(lab)
            if key in owner and owner[key] != cat["id"]:
                raise _fail(
                    origin,
                    f"label {lab!r}",
                    f"is mapped to both {owner[key]!r} and {cat['id']!r}",
                    "Keep each source label under one category.",
                )
            owner[key] = cat["id"]
    for lab in broad:
        if label_key(lab) not in owner:
            raise _fail(
                origin,
                f"broad_labels entry {lab!r}",
                "is not a label of any category",
                "Add it to a category's `labels`, or remove it from `broad_labels`.",
            )
