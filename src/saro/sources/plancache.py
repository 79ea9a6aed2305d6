"""Disk cache for split plans and source counts, so CLI calls stay fast.

Running the default plan loads ~35k prompts and searches them for near-duplicates (a few
seconds); ``saro sources show NAME --split test`` should not pay that every time. Results are
keyed by the plan, the pinned wheel checksums and a hash of the sources package's code, so any
change to the data or the loaders recomputes them.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from saro import __version__
from saro.paths import subdir

_KEEP_PLANS = 6  # about 1 MB each


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of every module in :mod:`saro.sources` plus the pinned wheel table."""
    from saro import records, wheels

    digest = hashlib.sha256(__version__.encode())
    folder = Path(__file__).parent
    for path in sorted(folder.glob("*.py")) + [Path(records.__file__), Path(wheels.__file__)]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_file(kind: str, key: dict[str, Any]) -> Path:
    blob = json.dumps({**key, "code": code_fingerprint()}, sort_keys=True).encode()
    return subdir("sources") / f"{kind}-{hashlib.sha256(blob).hexdigest()[:16]}.json"


def _read(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # missing or corrupt: recompute


def _write(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a cache that cannot be written is only slower


def split_map(plan: Any) -> dict[str, str]:
    """``{prompt id: split}`` for a plan's kept prompts (dropped ids are absent)."""
    path = _cache_file("splits", plan.to_dict())
    cached = _read(path)
    if isinstance(cached, dict) and "assignment" in cached:
        return cached["assignment"]
    prompts, manifest = plan.run()
    assignment = {p.id: p.split for p in prompts}
    _write(path, {"assignment": assignment, "manifest": manifest})
    _prune("splits", keep=_KEEP_PLANS)
    return assignment


def _prune(kind: str, keep: int) -> None:
    """Delete all but the ``keep`` newest cache files of a kind (old code or data versions)."""
    files = sorted(subdir("sources").glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime)
    for old in files[:-keep]:
        old.unlink(missing_ok=True)


def cached_count(name: str, compute: Any) -> int:
    """Number of prompts in an offline source, computed once per code and data version."""
    path = _cache_file("counts", {"source": "*"})
    counts = _read(path)
    if not isinstance(counts, dict):
        counts = {}
    if name not in counts:
        counts[name] = int(compute())
        _write(path, counts)
    return counts[name]
