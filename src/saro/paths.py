"""Where saro keeps downloaded wheels, converted models and the generation cache."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from saro.errors import SaroError


def cache_dir() -> Path:
    """Return the cache root (``$SARO_CACHE``, default ``~/.cache/saro``), created and writable."""
    root = Path(os.environ.get("SARO_CACHE") or Path.home() / ".cache" / "saro").expanduser()
    return ensure_writable(root, what="cache dir", fix="Set SARO_CACHE to a writable directory.")


def ensure_writable(path: Path, *, what: str, fix: str) -> Path:
    """Create ``path`` if needed and check a file can be written in it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as err:
        msg = f"The {what} {str(path)!r} is not writable ({err.strerror})."
        raise SaroError(msg, fix) from None
    return path


def subdir(name: str) -> Path:
    """Return (and create) a named folder under the cache root."""
    path = cache_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
