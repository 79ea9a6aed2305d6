"""Content-addressed generation cache.

A key hashes the model identity, the rendered prompt, the sampling parameters, the seed and the
sample index (see :meth:`saro.engines.base.BaseEngine.job_key`). Entries are appended to a JSONL
file one per finished job and flushed at once, so a run killed at any point keeps everything it
finished; a half-written last line is dropped on reopen. The cache never stores API keys: keys
are built from the model identity and the prompt only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from saro.store import JsonlAppender


class GenerationCache:
    """An append-only key -> completion store in one JSONL file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._data: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            with self.path.open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                        self._data[entry["key"]] = entry["value"]
                    except (json.JSONDecodeError, KeyError, TypeError):
                        continue  # a line cut short by a kill: the job is simply redone
        self._out: JsonlAppender | None = None

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def get(self, key: str) -> dict[str, Any] | None:
        return self._data.get(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        if key in self._data:
            return
        if self._out is None:
            self._out = JsonlAppender(self.path)
        self._data[key] = value
        self._out.write({"key": key, "value": value})

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
