"""Retry policy for HTTP engines: which failures are worth retrying and how long to wait.

Kept apart from the engine so the policy reads as a table and is tested on its own.
"""

from __future__ import annotations

import email.utils
import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

# Worth another try: the server was busy, overloaded or hiccuped.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})

# Every later request would fail the same way: stop at once and tell the user what to fix.
FATAL_STATUS = {
    401: "Export the API key in ${env} (saro reads keys only from the environment).",
    403: "Check that the key in ${env} may use this model.",
    404: "Check base_url (OpenAI-compatible servers usually end it in /v1) and the model name.",
}


def is_retryable(status: int) -> bool:
    """429, 408/409/425 and every 5xx."""
    return status in RETRYABLE_STATUS or status >= 500


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, or ``None`` when it did not say.

    Reads ``Retry-After`` as delta-seconds or an HTTP date (RFC 9110), and the ``retry-after-ms``
    header some OpenAI-compatible servers send. A date in the past means "now" (0 s).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = (lowered.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter.

    Attempt ``k`` (0-based) waits a random time in ``[d/2, d]`` with
    ``d = min(cap, base * 2**k)``: the jitter spreads out clients that failed together so they
    do not all come back at the same instant. A server's ``Retry-After`` overrides it (up to
    ``max_retry_after``).
    """

    base: float = 1.0
    cap: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        d = min(self.cap, self.base * 2**attempt)
        return d / 2 + random.uniform(0, d / 2)


def sample_seed(seed: int, index: int) -> int:
    """A per-sample seed derived from the run seed and the sample index (fits in 31 bits).

    Engines send one request per sample with this seed instead of ``n=K`` (many servers ignore
    ``n`` or seed all K samples together), so sample ``i`` is the same whether it is generated
    alone on a resumed run or with its siblings.
    """
    digest = hashlib.sha256(f"saro-sample:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF
