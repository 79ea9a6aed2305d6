"""Near-duplicate detection: word-shingle Jaccard with exact prefix filtering.

Two texts are near-duplicates when the Jaccard similarity of their word 5-gram sets (words as
in :func:`saro.records.normalize_text`) is at least ``threshold`` (0.7 by default); identical
normalised texts always are. Texts of at most ``n`` words have a single shingle, the whole
text, so they only match exact (normalised) repeats.

The search is exact, not sampled: with tokens in one global order, rarest first, two sets
with Jaccard >= t share a token among the first ``|A| - ceil(t |A|) + 1`` of each (prefix
filtering, as in the AllPairs algorithm), so only pairs sharing a prefix token are compared.
Shingles are 64-bit hashes (blake2b per word, combined in numpy), so the result does not
depend on the process or the input order; ~35k prompts (2M shingles) take about two seconds.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence

import numpy as np

DEFAULT_THRESHOLD = 0.7
DEFAULT_SHINGLE = 5
_WORD = re.compile(r"\w+")  # normalize_text maps every non-word character to a space
_EMPTY = np.zeros(1, dtype=np.uint64)  # the one shingle of a text without words
_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def words(text: str) -> list[str]:
    """The words of ``normalize_text(text)``, without building the normalised string."""
    return _WORD.findall(text.lower())


def shingle_hashes(texts: Sequence[str], n: int = DEFAULT_SHINGLE) -> list[np.ndarray]:
    """Sorted unique uint64 hashes of each text's word ``n``-grams (one array per text).

    All texts are hashed in one vectorised pass over their concatenated words.
    """
    if not 1 <= n <= len(_MULT):
        raise ValueError(f"shingle size must be 1..{len(_MULT)}, got {n}")
    tokenised = [words(t) for t in texts]
    flat = list(itertools.chain.from_iterable(tokenised))
    vocab = {w: _word_hash(w) for w in set(flat)}
    ids = np.array(list(map(vocab.__getitem__, flat)), dtype=np.uint64)
    ids = np.concatenate([ids, np.zeros(n, dtype=np.uint64)])  # room for the shifted views
    lengths = np.array([len(ws) for ws in tokenised], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    doc_of = np.repeat(np.arange(len(texts)), lengths)
    total = len(doc_of)
    # Every position starts an n-gram (running over the next text near the end: masked below).
    acc = ids[:total] * _MULT[0]
    for k in range(1, n):  # uint64 arithmetic wraps, which is what a hash wants
        acc += ids[k : k + total] * _MULT[k]
    valid = (np.arange(total) - starts[doc_of]) < (lengths - n + 1)[doc_of]
    # A text of fewer than n words is one shingle: all its words (few such texts).
    for i in np.flatnonzero((lengths > 0) & (lengths < n)).tolist():
        head = ids[starts[i] : starts[i] + lengths[i]] * _MULT[: lengths[i]]
        acc[starts[i]] = head.sum() ^ np.uint64(lengths[i])
        valid[starts[i]] = True
    doc, tok = doc_of[valid], acc[valid]
    order = np.lexsort((tok, doc))
    doc, tok = doc[order], tok[order]
    fresh = np.ones(len(tok), dtype=bool)
    fresh[1:] = (tok[1:] != tok[:-1]) | (doc[1:] != doc[:-1])
    doc, tok = doc[fresh], tok[fresh]
    counts = np.bincount(doc, minlength=len(texts))
    out = np.split(tok, np.cumsum(counts)[:-1])
    return [arr if len(arr) else _EMPTY for arr in out]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays."""
    inter = len(np.intersect1d(a, b, assume_unique=True))
    union = len(a) + len(b) - inter
    return inter / union if union else 1.0


def near_duplicate_pairs(
    texts: Sequence[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    n: int = DEFAULT_SHINGLE,
) -> list[tuple[int, int]]:
    """All index pairs ``(i, j)``, ``i < j``, whose texts are near-duplicates, sorted."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if len(texts) < 2:
        return []
    sets = shingle_hashes(texts, n)
    sizes = np.array([len(s) for s in sets])
    doc = np.repeat(np.arange(len(sets)), sizes)
    tok = np.concatenate(sets)
    # One global token order: rarest first, ties by hash value.
    uniq, inverse, counts = np.unique(tok, return_inverse=True, return_counts=True)
    rank_of_uniq = np.empty(len(uniq), dtype=np.int64)
    rank_of_uniq[np.lexsort((uniq, counts))] = np.arange(len(uniq))
    rank = rank_of_uniq[inverse]
    order = np.lexsort((rank, doc))  # by document, then by rank
    doc, rank = doc[order], rank[order]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(len(doc)) - starts[doc]
    prefix_len = sizes - np.ceil(threshold * sizes - 1e-9).astype(np.int64) + 1
    keep = position < prefix_len[doc]
    p_doc, p_rank = doc[keep], rank[keep]
    # Documents sharing a prefix token are candidates; most prefix tokens occur once.
    by_tok = np.lexsort((p_doc, p_rank))
    p_doc, p_rank = p_doc[by_tok], p_rank[by_tok]
    run_start = np.flatnonzero(np.concatenate([[True], p_rank[1:] != p_rank[:-1]]))
    run_len = np.diff(np.concatenate([run_start, [len(p_rank)]]))
    candidates: set[tuple[int, int]] = set()
    shared = run_len > 1
    for first, length in zip(run_start[shared].tolist(), run_len[shared].tolist(), strict=True):
        members = p_doc[first : first + length].tolist()
        for x in range(length):
            for y in range(x + 1, length):
                candidates.add((members[x], members[y]))
    pairs = []
    for a, b in sorted(candidates):
        small, large = sorted((sizes[a], sizes[b]))
        if small >= threshold * large - 1e-9 and jaccard(sets[a], sets[b]) >= threshold - 1e-12:
            pairs.append((a, b))
    return pairs


class UnionFind:
    """Disjoint sets over ``0..n-1``; the representative of a set is its smallest member."""

    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def groups_from_pairs(n: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
    """Label each of ``n`` items with the smallest index of its connected component."""
    uf = UnionFind(n)
    for a, b in pairs:
        uf.union(a, b)
    return [uf.find(i) for i in range(n)]


def near_duplicate_groups(
    texts: Sequence[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    n: int = DEFAULT_SHINGLE,
) -> list[int]:
    """Group label per text: texts linked by a chain of near-duplicate pairs share a label."""
    return groups_from_pairs(len(texts), near_duplicate_pairs(texts, threshold=threshold, n=n))


def naive_pairs(
    texts: Sequence[str], *, threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[int, int]]:
    """All-pairs reference implementation (quadratic; for tests on small inputs)."""
    sets = shingle_hashes(texts)
    return [
        (i, j)
        for i in range(len(sets))
        for j in range(i + 1, len(sets))
        if jaccard(sets[i], sets[j]) >= threshold - 1e-12
    ]
