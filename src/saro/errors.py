"""User-facing errors.

Every error a user can cause (a missing file, an unknown name, a bad config key, an unreachable
endpoint) is raised as :class:`SaroError`: one sentence naming the problem and one naming the fix.
The CLI prints it without a traceback and exits with status 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SaroError(Exception):
    """An error the user can fix; ``str(err)`` is the whole message."""

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem} {fix}" if fix else problem)


def nearest_hint(name: str, known: Iterable[str]) -> str:
    """``"Did you mean 'x'?"`` for the known name nearest ``name``, or ``""`` if none is near."""
    close = difflib.get_close_matches(str(name), list(known), n=1)
    return f"Did you mean {close[0]!r}?" if close else ""


def unknown_name(kind: str, name: str, known: Iterable[str]) -> SaroError:
    """Build the error for an unknown registry name, suggesting the nearest known one."""
    known = sorted(known)
    hint = nearest_hint(name, known)
    hint = f"{hint} " if hint else ""
    return SaroError(
        f"Unknown {kind} {name!r}.",
        f"{hint}Known {kind}s: {', '.join(known) or '(none)'}.",
    )


def disk_full(err: BaseException) -> SaroError | None:
    """The one clear message for a write that failed on a full disk (an ``OSError`` with
    ``ENOSPC`` anywhere in the exception chain, or a library error that says so, as safetensors
    does), else None."""
    import errno

    seen: BaseException | None = err
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        visited.add(id(seen))
        if (isinstance(seen, OSError) and seen.errno == errno.ENOSPC) or (
            "No space left on device" in str(seen)
        ):
            where = getattr(seen, "filename", None)
            return SaroError(
                "The disk is full" + (f" (writing {where})" if where else "") + ".",
                "Free space (finished runs' models/*/checkpoint-* folders and old runs' "
                "model.safetensors can go), then rerun the same command: finished stages are "
                "kept and training resumes from its last complete checkpoint.",
            )
        seen = seen.__cause__ or seen.__context__
    return None
