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
