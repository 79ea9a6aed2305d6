"""RIT-D: reasoning traces for the Reasoning-style Warmup, built with Shortest Rejection Sampling.

Usage::

    saro data rit --config configs/data/rit.yaml --out runs/rit

With ``teacher.engine: seed`` (the offline default) the curated seed set stands in for a teacher:
each seed trace is one sample, checked by the same acceptance rules. With any other engine
(``openai``, ``hf``, ``vllm``) the teacher samples ``k`` traces per prompt under a policy-grounded
system prompt, the judges accept or reject each (:mod:`saro.datagen.accept`), and the shortest
accepted trace (in tokens) is kept; a prompt with none accepted is retried up to ``max_rounds``
rounds, then skipped and counted. Samples live in the generation cache, so a killed build resumes.

**SRS on real samples, offline** (``teacher: {engine: seed, model: PATH, k: 4}``): a seed trace
is one candidate only, so on its own "shortest accepted" selects nothing. With ``model`` set (a
warmed-up model, e.g. the RW model of an earlier run), the candidates are ``k`` samples from that
model, each prefilled with the seed trace's first step (the trace's opening) and continued by the
model; the same acceptor judges them and the shortest accepted is kept. Where none passes, the
seed trace is kept if it passes the acceptor (``origin: seed-fallback``); else the prompt is
skipped. The card reports the acceptance rate, how many
prompts fell back, and the token saving of the shortest accepted sample over the mean accepted
one (the expected length of a random accepted candidate), on the prompts that had one.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from tqdm import tqdm

from saro.datagen.accept import Acceptor
from saro.datagen.rit.config import RitConfig, TeacherConfig
from saro.datagen.rit.seed import load_seed_set
from saro.engines.base import BaseEngine, ChatRequest
from saro.errors import SaroError
from saro.records import Prompt


def teacher_system_prompt(kind: str, policy: Any) -> str:
    """The policy-grounded system prompt for one prompt kind."""
    text = (resources.files("saro") / "data" / "teacher" / "prompts.yaml").read_text()
    data = yaml.safe_load(text)
    body = data["kinds"][kind].replace("{policy}", policy.render("teacher"))
    return f"{body}\n\n{data['format']}"


KEEP = ("shortest", "random")


@dataclass
class Candidate:
    """One sampled or curated trace for a prompt."""

    prompt: Prompt
    response: str
    tokens: int
    origin: str


@dataclass
class SrsResult:
    """The kept trace for a prompt plus the Shortest Rejection Sampling statistics."""

    prompt: Prompt
    kept: Candidate | None
    n_sampled: int
    n_accepted: int
    accepted_tokens: list[int]
    reasons: Counter


def shortest_rejection_sampling(
    prompts: list[Prompt],
    sample: Any,
    acceptor: Acceptor,
    *,
    k: int,
    max_rounds: int,
    progress: bool = True,
    keep: str = "shortest",
    seed: int = 0,
) -> list[SrsResult]:
    """Sample ``k`` candidates per prompt per round; keep the shortest accepted.

    Args:
        prompts: Prompts to build traces for.
        sample: ``sample(prompts, k, round) -> list[list[Candidate]]``.
        acceptor: Acceptance rules.
        k: Samples per prompt per round.
        max_rounds: Rounds before a prompt with nothing accepted is given up.
        keep: ``shortest`` (SRS) or ``random`` (a seeded random accepted candidate: the
            no-SRS ablation, same acceptance, no length preference).
        seed: Seed of ``random``.
    """
    if keep not in KEEP:
        raise SaroError(f"Unknown teacher.keep {keep!r}.", f"Use one of: {', '.join(KEEP)}.")
    rng = random.Random(seed)
    results = {p.id: SrsResult(p, None, 0, 0, [], Counter()) for p in prompts}
    pending = list(prompts)
    for rnd in range(max_rounds):
        if not pending:
            break
        batches = sample(pending, k, rnd)
        flat = [(p, c) for p, cands in zip(pending, batches, strict=True) for c in cands]
        verdicts = []
        bar = tqdm(total=len(flat), desc=f"judging round {rnd + 1}", disable=not progress)
        for start in range(0, len(flat), 256):
            chunk = flat[start : start + 256]
            verdicts += acceptor.check_responses([(p, c.response) for p, c in chunk])
            bar.update(len(chunk))
        bar.close()
        for (p, cand), (ok, reason) in zip(flat, verdicts, strict=True):
            res = results[p.id]
            res.n_sampled += 1
            res.reasons[reason] += 1
            if ok:
                res.n_accepted += 1
                res.accepted_tokens.append(cand.tokens)
                if keep == "random":  # reservoir sampling: each accepted one equally likely
                    if rng.random() < 1 / res.n_accepted:
                        res.kept = cand
                elif res.kept is None or cand.tokens < res.kept.tokens:
                    res.kept = cand
        pending = [p for p in pending if results[p.id].kept is None]
    return [results[p.id] for p in prompts]


def seed_sampler(traces_by_id: dict[str, Any], count: Any) -> Any:
    """A sampler that returns each prompt's curated trace once (round 0 only)."""

    def sample(prompts: list[Prompt], k: int, rnd: int) -> list[list[Candidate]]:
        if rnd > 0:
            return [[] for _ in prompts]
        out = []
        for p in prompts:
            resp = traces_by_id[p.id].response()
            out.append([Candidate(p, resp, count(resp), "seed")])
        return out

    return sample


def seeded_model_sampler(
    engine: BaseEngine,
    traces_by_id: dict[str, Any],
    cfg: TeacherConfig,
    seed: int,
    count: Any,
    *,
    progress: bool = True,
) -> Any:
    """``k`` samples per prompt from a warmed-up model, prefilled with the seed trace's first
    step (round 0 only; the seed trace is the fallback, see :func:`with_seed_fallback`)."""
    from saro.reasoning import join_prefix

    def sample(prompts: list[Prompt], k: int, rnd: int) -> list[list[Candidate]]:
        if rnd > 0:
            return [[] for _ in prompts]
        openings = [join_prefix(traces_by_id[p.id].steps[:1]) + "\n\n" for p in prompts]
        reqs = [ChatRequest.user(p.text, prefill=o) for p, o in zip(prompts, openings, strict=True)]
        outs = engine.generate(
            reqs,
            n=k,
            temperature=cfg.temperature,
            max_new_tokens=cfg.max_new_tokens,
            seed=seed,
            progress=progress,
        )
        return [
            [Candidate(p, o + c.text, count(o + c.text), engine.identity()) for c in comps]
            for p, o, comps in zip(prompts, openings, outs, strict=True)
        ]

    return sample


def with_seed_fallback(
    results: list[SrsResult], traces_by_id: dict[str, Any], count: Any, acceptor: Acceptor
) -> list[SrsResult]:
    """Keep the seed trace for every prompt none of whose samples was accepted, when the seed
    trace itself passes the same acceptor (as a seed-only build requires); a prompt whose seed
    trace fails too stays skipped."""
    todo = [r for r in results if r.kept is None and r.prompt.id in traces_by_id]
    responses = [traces_by_id[r.prompt.id].response() for r in todo]
    verdicts = acceptor.check_responses(
        [(r.prompt, resp) for r, resp in zip(todo, responses, strict=True)]
    )
    for r, resp, (ok, _) in zip(todo, responses, verdicts, strict=True):
        if ok:
            r.kept = Candidate(r.prompt, resp, count(resp), "seed-fallback")
    return results


def engine_sampler(
    engine: BaseEngine,
    policy: Any,
    cfg: TeacherConfig,
    seed: int,
    count: Any,
    *,
    progress: bool = True,
) -> Any:
    """A sampler backed by a teacher engine (samples cached per round)."""

    def sample(prompts: list[Prompt], k: int, rnd: int) -> list[list[Candidate]]:
        reqs = [
            ChatRequest.user(p.text, system=teacher_system_prompt(p.kind, policy)) for p in prompts
        ]
        outs = engine.generate(
            reqs,
            n=k,
            temperature=cfg.temperature,
            max_new_tokens=cfg.max_new_tokens,
            seed=seed + 1000 * rnd,
            progress=progress,
        )
        return [
            [
                Candidate(p, c.text, c.completion_tokens or count(c.text), engine.identity())
                for c in comps
            ]
            for p, comps in zip(prompts, outs, strict=True)
        ]

    return sample


def srs_stats(results: list[SrsResult]) -> dict[str, Any]:
    """Totals and what Shortest Rejection Sampling saves on these samples, over the prompts with
    an accepted sample (a seed fallback has none: counted apart).

    ``srs_token_saving`` is the shortest accepted sample's length against the mean accepted one
    (the expected length of a random accepted candidate), whichever was kept, so a
    ``keep: random`` build reports the saving it gave up; ``kept_token_saving`` is the same for
    the samples actually kept (SRS: equal; random: about 0). Only prompts with two or more
    accepted samples give SRS a choice: ``with_choice`` counts them and
    ``srs_token_saving_with_choice`` is the saving on them alone.
    """
    kept = [r for r in results if r.kept is not None]
    chosen = [r for r in kept if r.accepted_tokens]
    choice = [r for r in chosen if len(r.accepted_tokens) > 1]

    def saving(rs: list[SrsResult], length: Any) -> float:
        mean_acc = sum(statistics.fmean(r.accepted_tokens) for r in rs)
        return 1 - sum(length(r) for r in rs) / mean_acc if rs and mean_acc else 0.0

    reasons: Counter = Counter()
    for r in results:
        reasons.update(r.reasons)
    return {
        "prompts": len(results),
        "kept": len(kept),
        "fallback": sum(1 for r in kept if r.kept.origin == "seed-fallback"),
        "skipped": len(results) - len(kept),
        "sampled": sum(r.n_sampled for r in results),
        "accepted": sum(r.n_accepted for r in results),
        "acceptance_rate": (
            sum(r.n_accepted for r in results) / max(1, sum(r.n_sampled for r in results))
        ),
        "mean_kept_tokens": statistics.fmean(r.kept.tokens for r in chosen) if chosen else 0.0,
        "mean_shortest_tokens": (
            statistics.fmean(min(r.accepted_tokens) for r in chosen) if chosen else 0.0
        ),
        "mean_accepted_tokens": (
            statistics.fmean(statistics.fmean(r.accepted_tokens) for r in chosen) if chosen else 0.0
        ),
        "srs_token_saving": saving(chosen, lambda r: min(r.accepted_tokens)),
        "kept_token_saving": saving(chosen, lambda r: r.kept.tokens),
        "with_choice": len(choice),
        "srs_token_saving_with_choice": saving(choice, lambda r: min(r.accepted_tokens)),
        "reasons": dict(reasons),
    }


def seed_prompts(
    cfg: RitConfig, left_out: Counter | None = None
) -> tuple[list[Prompt], dict[str, Any]]:
    """The seed set's prompts and traces by prompt id (train side of ``cfg.split_seed`` only)."""
    traces = load_seed_set(kinds=tuple(cfg.kinds), split_seed=cfg.split_seed, left_out=left_out)
    if not cfg.corrections:  # the RW-without-reflection ablation
        if left_out is not None:
            left_out["has a mid-course correction (corrections: false)"] += sum(
                1 for t in traces if t.correction
            )
        traces = [t for t in traces if not t.correction]
    return [t.prompt for t in traces], {t.prompt.id: t for t in traces}
