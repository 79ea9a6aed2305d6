"""The one config loader: YAML files and ``--set key=value`` overrides into typed dataclasses.

Every config in saro (each stage's section, the run config, the training configs that extend
TRL's classes) is read through here, so they all behave alike:

- values are YAML; ``1e-4`` is a float; ``yes``/``no``/``on``/``off`` stay strings (YAML 1.2:
  only ``true``/``false`` are booleans), so ``save_strategy: no`` means the strategy ``"no"``;
- ``--set a.b=1`` overrides a nested key; an unknown key names the nearest real one;
- every value is checked against its field's type (``--set teacher.k=abc`` is an error that
  names the key, the value and the expected type), and nested sections become their dataclass.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

from saro.errors import SaroError, nearest_hint

T = TypeVar("T")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 scalars: ``1e-4`` is a float, ``no`` a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def load_yaml(text: str) -> Any:
    """Parse config YAML (a file or one ``--set`` value) the way every saro config reads it."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)


def read_yaml_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, with a clear error for a missing, malformed or non-mapping file."""
    path = Path(path)
    if not path.is_file():
        raise SaroError(f"Config file {str(path)!r} does not exist.", "Check the path.")
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise SaroError(
            f"Config file {str(path)!r} is not valid YAML ({err}).", "Fix the YAML."
        ) from None
    if not isinstance(data, dict):
        raise SaroError(
            f"Config file {str(path)!r} must hold a mapping of keys to values.", "Fix it."
        )
    return data


def parse_set(pairs: list[str] | None) -> dict[str, Any]:
    """Turn ``["a.b=1", "c=x"]`` into a nested dict, values parsed as YAML.

    A value that is not valid YAML on its own (``x: y``) is kept as the string it is.
    """
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SaroError(
                f"Override {pair!r} is not key=value.", "Write e.g. --set max_steps=20."
            )
        try:
            value = load_yaml(raw) if raw.strip() else None
        except yaml.YAMLError:
            value = raw
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SaroError(f"Override {pair!r} sets a key inside a value.", "Fix the key.")
        node[parts[-1]] = value
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


def prompt_spec(spec: str | dict[str, Any] | None) -> dict[str, Any]:
    """A config's prompt-source entry as a dict: a bare name ``x`` is ``{"source": "x"}``."""
    return dict(spec) if isinstance(spec, dict) else {"source": spec}


def check_keys(keys: typing.Iterable[str], known: list[str], where: str, fix: str = "") -> None:
    """Refuse a key not in ``known``, naming the nearest known key."""
    for key in keys:
        if key not in known:
            hint = nearest_hint(key, known) or f"Known keys: {', '.join(known)}."
            raise SaroError(f"Unknown key {key!r} in {where}.", f"{hint} {fix}".strip())


# -- types -----------------------------------------------------------------------------------
def _type_name(hint: Any) -> str:
    if hint is type(None):
        return "null"
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(h) for h in typing.get_args(hint))
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return f"a list of {_type_name(args[0])}" if args else "a list"
    if origin is dict:
        args = typing.get_args(hint)
        return f"a mapping of {_type_name(args[1])}" if args else "a mapping"
    if origin is typing.Literal:
        return " or ".join(repr(a) for a in typing.get_args(hint))
    if dataclasses.is_dataclass(hint):
        return "a mapping"
    return getattr(hint, "__name__", str(hint))


def conforms(value: Any, hint: Any) -> bool:
    """True when ``value`` fits the type ``hint``; forms it does not know are accepted."""
    if hint is Any or isinstance(hint, str | typing.TypeVar):
        return True
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin in (list, tuple):
        args = typing.get_args(hint)
        return isinstance(value, list | tuple) and (
            not args or all(conforms(v, args[0]) for v in value)
        )
    if origin is dict:
        args = typing.get_args(hint)
        return isinstance(value, dict) and (
            len(args) != 2 or all(conforms(v, args[1]) for v in value.values())
        )
    if dataclasses.is_dataclass(hint):
        return isinstance(value, dict | hint)
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if isinstance(hint, type):
        if issubclass(hint, str):  # str enums (TRL/transformers strategies) take their values
            return isinstance(value, str)
        return isinstance(value, hint) or not isinstance(value, list | dict)
    return True


def check_value(key: str, value: Any, hint: Any, where: str) -> None:
    if not conforms(value, hint):
        raise SaroError(
            f"{where}.{key} = {value!r} is not {_type_name(hint)}.",
            f"Give {key} {_type_name(hint)}.",
        )


def from_dict(cls: type[T], data: dict[str, Any], *, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``data``: sections recurse, every value is type-checked."""
    if not isinstance(data, dict):
        raise SaroError(f"{where} must be a mapping, got {type(data).__name__}.", "Fix the config.")
    fields = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    check_keys(data, fields, where)
    hints = get_type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = from_dict(hint, value, where=f"{where}.{key}")
        check_value(key, value, hint, where)
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise SaroError(f"Invalid value in {where}: {err}", "Fix that key and rerun.") from None


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
