"""JSONL artifacts: streaming reads with line-numbered errors, incremental and atomic writes."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from saro.errors import SaroError

T = TypeVar("T")


def read_jsonl(path: str | Path, *, required: Iterable[str] = ()) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSONL file, naming the file and line of any bad record.

    Args:
        path: The file.
        required: Fields every record must have.
    """
    path = Path(path)
    if not path.exists():
        raise SaroError(f"File {str(path)!r} does not exist.", "Check the path.")
    required = tuple(required)
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise SaroError(
                    f"{path}:{lineno} is not valid JSON ({err.msg}).",
                    "Fix or delete that line; each line must hold one JSON object.",
                ) from None
            if not isinstance(obj, dict):
                raise SaroError(
                    f"{path}:{lineno} holds a JSON {type(obj).__name__}, not an object.",
                    "Each line must hold one JSON object.",
                )
            missing = [f for f in required if f not in obj]
            if missing:
                raise SaroError(
                    f"{path}:{lineno} lacks the field(s) {', '.join(map(repr, missing))}.",
                    f"Every record needs {', '.join(required)}.",
                )
            yield obj


def seeded_sample(items: Sequence[T], limit: int | None, seed: int) -> list[T]:
    """A seeded random sample of ``limit`` items, kept in their original order (all if no limit).

    The cap for records read from a file: drawn from the whole file rather than its first rows,
    which a file written kind by kind (or files read one after another) fills with one kind.
    """
    if not limit or limit >= len(items):
        return list(items)
    return [items[i] for i in sorted(random.Random(seed).sample(range(len(items)), limit))]


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records atomically (temp file, fsync, rename): a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise disk_error(path, err) from None
    return count


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise disk_error(path, err) from None


def write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically (temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise disk_error(path, err) from None


class JsonlAppender:
    """Append records one at a time, flushed per record, so a killed job keeps what it wrote."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _truncate_partial_last_line(self.path)
        self._fh = self.path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        try:
            self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._fh.flush()
        except OSError as err:
            raise disk_error(self.path, err) from None

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> JsonlAppender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _truncate_partial_last_line(path: Path) -> None:
    """Drop a last line cut short by a kill, so appending continues from a clean record."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as fh:
        data = fh.read()
        if data.endswith(b"\n"):
            return
        cut = data.rfind(b"\n") + 1
        fh.truncate(cut)


def disk_error(path: Path, err: OSError) -> SaroError:
    """Turn an OSError during a write (disk full, permissions) into a clear user error."""
    return SaroError(
        f"Could not write {str(path)!r} ({err.strerror or err}).",
        "Free disk space or choose another output directory; finished records were kept.",
    )
