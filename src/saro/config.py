"""Stage configs as dataclasses: loaded from YAML, overridden from the CLI, validated by name.

Training configs extend TRL's classes (:mod:`saro.train.config`); every other stage uses a plain
dataclass and :func:`load_stage_config`. An unknown key is an error that names the nearest key.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

from saro.errors import SaroError

T = TypeVar("T")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, plus ``1e-4`` as a float (YAML 1.1 wants ``1.0e-4``)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse config YAML (a file or one ``--set`` value) the way every saro config reads it."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


def read_yaml_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, with a clear error for a missing or malformed file."""
    path = Path(path)
    if not path.exists():
        raise SaroError(f"Config file {str(path)!r} does not exist.", "Check the path.")
    try:
        data = load_yaml(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise SaroError(f"Config file {path} is not valid YAML ({err}).", "Fix the YAML.") from None
    if not isinstance(data, dict):
        raise SaroError(f"Config file {path} must hold a mapping at the top level.", "Fix it.")
    return data


def parse_set(pairs: list[str] | None) -> dict[str, Any]:
    """Turn ``["a.b=1", "c=x"]`` into a nested dict, values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SaroError(f"Override {pair!r} is not KEY=VALUE.", "Write e.g. --set k=4.")
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = load_yaml(value)
    return out


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``extra`` into a copy of ``base``."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def from_dict(cls: type[T], data: dict[str, Any], *, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``, recursing into nested dataclass fields."""
    if not isinstance(data, dict):
        raise SaroError(f"{where} must be a mapping, got {type(data).__name__}.", "Fix the config.")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(fields)}."
            raise SaroError(f"Unknown key {key!r} in {where}.", hint)
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = from_dict(hint, value, where=f"{where}.{key}")
        kwargs[key] = value
    return cls(**kwargs)


def load_stage_config(
    cls: type[T],
    path: str | Path | None,
    overrides: list[str] | None = None,
    *,
    section: str | None = None,
) -> T:
    """Load ``cls`` from a YAML file (optionally one top-level section of it) plus overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        data = read_yaml_file(path)
        if section is not None:
            data = data.get(section) or {}
    data = merge(data, parse_set(overrides))
    return from_dict(cls, data, where=f"{path or 'config'}" + (f" [{section}]" if section else ""))


def to_dict(config: Any) -> dict[str, Any]:
    """A plain dict of a (nested) dataclass config."""
    return dataclasses.asdict(config)
