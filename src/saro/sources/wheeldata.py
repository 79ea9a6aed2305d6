"""Parsed files from the pinned data wheels, cached per process.

Reading a member verifies the wheel's sha256 (tens of MB for some wheels), so each member is read
once per process and parsed here; loaders build fresh :class:`~saro.records.Prompt` objects from
the parsed rows every call, so callers may mutate what they get.
"""

from __future__ import annotations

import csv
import io
import json
from functools import lru_cache
from typing import Any

import yaml

from saro.wheels import read_member


@lru_cache(maxsize=64)
def _member(dist: str, member: str) -> bytes:
    return read_member(dist, member)


def read_json(dist: str, member: str) -> Any:
    """Parse a JSON member (fresh objects every call)."""
    return json.loads(_member(dist, member))


def read_csv(dist: str, member: str) -> list[dict[str, str]]:
    """Parse a CSV member with a header row into dicts."""
    text = _member(dist, member).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_yaml(dist: str, member: str) -> Any:
    """Parse a YAML member (with the C loader when available: pyrit's files are large)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(_member(dist, member), Loader=loader)  # noqa: S506 - a safe loader
