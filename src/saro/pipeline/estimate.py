"""``saro run --dry-run``: rough token counts and times per stage, from the config alone.

Rates come from the config's ``throughput`` section (measured on a 2-core CPU, see
docs/performance.md); token counts per record are the demo's measured means.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from saro.config import prompt_spec

RIT_TOKENS, DIRECT_TOKENS = 295, 180  # mean tokens of a templated RIT-D / answer-only row
Estimate = Callable[[Any], tuple[int, float]]


def n_seed(run: Any, kinds: list[str] | None = None) -> int:
    """RIT-D rows the seed teacher gives under the config's kinds and per-kind caps (an upper
    bound: a non-default split seed leaves some traces out), of ``kinds`` if given."""
    from saro.datagen.rit.seed import read_seed_records

    kinds = [k for k in run.cfg.rit.kinds if kinds is None or k in kinds]
    per_kind = Counter(r["kind"] for r in read_seed_records() if r["kind"] in kinds)
    return int(sum(min(n, run.cfg.rit.kind_limit(k)) for k, n in per_kind.items()))


def n_rit(run: Any, kinds: list[str] | None = None) -> int:
    """RIT-D rows: a teacher's prompt limits (an upper bound: SRS skips some), else
    :func:`n_seed`."""
    rit = run.cfg.rit
    if rit.teacher.engine == "seed":
        return n_seed(run, kinds)
    total = 0
    for kind, spec in rit.prompts.items():
        if kind in rit.kinds and (kinds is None or kind in kinds):
            total += int(min(prompt_spec(spec).get("limit", 0), rit.kind_limit(kind)))
    return total


def _epochs(run: Any, key: str) -> float:
    return float(run.cfg.train.get(key, {}).get("num_train_epochs", 1))


def train(key: str, per_row: int, rows: Callable[[Any], int], dpo: bool = False) -> Estimate:
    def estimate(run: Any) -> tuple[int, float]:
        n = rows(run)
        cap = run.cfg.train.get(key, {}).get("max_train_samples")
        n = min(n, cap) if cap else n
        tokens = int(n * per_row * _epochs(run, key) * (2 if dpo else 1))
        rate = run.cfg.throughput.train_tokens_per_s
        factor = run.cfg.throughput.dpo_cost_factor / 2 if dpo else 1.0
        return tokens, tokens * factor / rate

    return estimate


def pref_prompts(cfg: Any) -> int:
    """Prompts the policy model samples for OP-COT (a source without a limit counts as 50)."""
    return sum(prompt_spec(spec).get("limit", 50) for spec in cfg.pref.prompts.values())


def pref_pairs(run: Any) -> int:
    return int(pref_prompts(run.cfg) * 0.8)


def opcot_tokens(run: Any) -> float:
    s = run.cfg.pref.sampling
    forced = s.max_reasoning_tokens and s.max_answer_tokens
    per_sample = s.max_reasoning_tokens + s.max_answer_tokens if forced else s.max_new_tokens
    return pref_prompts(run.cfg) * s.n * per_sample * 0.7


def ppcot_tokens(run: Any) -> float:
    p = run.cfg.pref
    return pref_prompts(run.cfg) * p.sampling.n * p.ppcot.chosen_samples * 60


def direct_tokens(section: str) -> Callable[[Any], float]:
    """Generation for the ``direct`` or ``control`` pairs."""

    def tokens(run: Any) -> float:
        d = getattr(run.cfg, section)
        return min(n_rit(run, d.kinds), d.limit or float("inf")) * d.n * d.max_new_tokens * 0.6

    return tokens


def eval_samples(eval_cfg: Any) -> int:
    """Responses one model generates over the configured eval suites."""
    from saro.evaluate.suites import get_suite

    suites = [get_suite(s) for s in eval_cfg.suites]
    return sum(
        eval_cfg.limits.get(s.name, eval_cfg.limit or s.size) * s.per_prompt
        for s in suites
        if s.mode == "generate"
    )


def eval_tokens(run: Any) -> float:
    """Generation for one model over the eval suites."""
    e = run.cfg.eval
    forced = e.max_reasoning_tokens and e.max_answer_tokens
    per_prompt = e.max_reasoning_tokens + e.max_answer_tokens if forced else e.max_new_tokens or 256
    return eval_samples(e) * per_prompt * 0.7


def gen(tokens_of: Callable[[Any], float]) -> Estimate:
    def estimate(run: Any) -> tuple[int, float]:
        tokens = int(tokens_of(run))
        return tokens, tokens / run.cfg.throughput.gen_tokens_per_s

    return estimate


def zero(run: Any) -> tuple[int, float]:
    return 0, 20.0
