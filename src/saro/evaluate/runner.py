"""``evaluate``: generate (or score) every suite, judge, and write samples, metrics and a table.

Usage::

    from saro.evaluate import evaluate
    metrics = evaluate("smollm2-135m", ["jailbreak", "overrefusal", "gsm8k"], "runs/base/eval")

    # same from the shell
    saro eval --model smollm2-135m --suites jailbreak,overrefusal,gsm8k --out runs/base/eval

Writes ``DIR/config.json`` (what was run), ``DIR/samples/<suite>.jsonl`` (one record per
prompt with the response split into reasoning and answer, token counts and every verdict),
``DIR/metrics.json`` (docs/eval.md) and ``DIR/results.md``. Generation goes through the engine's
generation cache, so an interrupted or repeated run regenerates nothing. Responses are written
to files only, never printed: they may answer harmful prompts.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from saro import __version__
from saro.engines import BaseEngine, ChatRequest
from saro.engines.forcing import Budget, generate_with_budget
from saro.errors import SaroError
from saro.evaluate.loglik import score_multiple_choice
from saro.evaluate.metrics import SCHEMA_VERSION, suite_metrics
from saro.evaluate.schema import check_eval_dir
from saro.evaluate.suites import Suite, get_suite
from saro.policy import Policy
from saro.reasoning import parse
from saro.records import Prompt
from saro.store import read_jsonl, write_json, write_jsonl

TASK_JUDGES = ("math", "choice")
OFFLINE_JUDGES = ("refusal", *TASK_JUDGES)
JUDGE_BATCH = 64  # verdicts are saved after each batch, so a failing endpoint loses little


def evaluate(
    model: str | BaseEngine,
    suites: Sequence[str | Suite],
    out_dir: str | Path,
    *,
    limit: int | None = None,
    limits: dict[str, int] | None = None,
    engine: str = "hf",
    judges: Sequence[str] = ("refusal",),
    max_new_tokens: int | None = None,
    budget: Budget | None = None,
    seed: int = 0,
    split_seed: int = 0,
    system: str | None = None,
    progress: bool = True,
    force: bool = False,
    engine_options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Evaluate a model on suites and write the eval directory.

    Args:
        model: Model name, folder or hub id (built with ``engine``), or a ready engine object.
        suites: Suite names (see :data:`saro.evaluate.suites.SUITES`) or :class:`Suite` objects
            (e.g. :func:`saro.evaluate.suites.file_suite`).
        out_dir: The eval directory.
        limit: Prompts per suite (default: each suite's size).
        limits: Per-suite prompt counts that override ``limit`` (e.g. ``{"gsm8k": 10}``).
        engine: Engine name when ``model`` is a name.
        judges: Safety judge specs for harmful and benign suites; the first gives the headline.
            Accuracy suites always use their own task judge.
        max_new_tokens: Generation budget for every suite (default: each suite's own).
        budget: Budget forcing (:mod:`saro.engines.forcing`): reasoning and answer get their
            own token budgets and an unfinished reasoning is closed to force an answer;
            replaces ``max_new_tokens`` for generating suites. None: one plain budget.
        seed: Generation seed (decoding is greedy, so it matters only for sampling engines).
        split_seed: Seed of the prompt and attack splits the suites draw their held-out prompts
            from (the training side of the same splits is what a run with this split seed
            trains on), and of which prompts are drawn.
        system: Optional system prompt for every request.
        progress: Show progress bars and one line per suite on stderr.
        force: Overwrite a directory written by an older schema or another model.
        engine_options: Extra options for :func:`saro.engines.make_engine`.

    Returns:
        The ``metrics.json`` content.
    """
    from saro.judges import make_judge

    out = Path(out_dir)
    suite_objs = [s if isinstance(s, Suite) else get_suite(s) for s in suites]
    safety_judges = [make_judge(j) for j in judges]  # unknown judges fail before any work
    if any(s.safety for s in suite_objs) and not safety_judges:
        raise SaroError("Safety suites need at least one judge.", "Pass --judge refusal.")
    for j in safety_judges:
        if j.name in TASK_JUDGES:
            raise SaroError(
                f"{j.name!r} is a task judge; --judge sets the safety judges.",
                "Use refusal, llm:... or llamaguard (gsm8k and arc_easy_gen pick their own).",
            )
    # load every suite's prompts first: a bad prompts file fails before any model loads
    limits = limits or {}
    unknown = sorted(set(limits) - {s.name for s in suite_objs})
    if unknown:
        raise SaroError(
            f"Per-suite limits name suites that are not evaluated: {', '.join(unknown)}.",
            "Use names from the suites list, or add those suites.",
        )
    planned = [
        (suite, suite.prompts(limits.get(suite.name, limit), split_seed)) for suite in suite_objs
    ]
    eng = _engine(model, engine, engine_options or {})
    previous = check_eval_dir(out, eng.identity(), force=force, split_seed=split_seed)
    config = {
        "schema_version": SCHEMA_VERSION,
        "saro_version": __version__,
        "model": str(model) if isinstance(model, str | Path) else eng.identity(),
        "engine": eng.name,
        "engine_identity": eng.identity(),
        "judges": [j.spec or j.name for j in safety_judges],
        "budget": {"reasoning": budget.reasoning, "answer": budget.answer} if budget else None,
        "seed": seed,
        "split_seed": split_seed,
        "system": system,
        "limit": limit,
        "limits": limits,
        "suites": {},
    }
    metrics = {"schema_version": SCHEMA_VERSION, "suites": previous}
    policy = Policy.load()  # maps each sample to its policy category
    generated = _generate_all(
        eng,
        [(s, p) for s, p in planned if s.mode != "loglik"],
        max_new_tokens,
        budget,
        seed,
        system,
        progress,
    )
    for suite, prompts in planned:
        start = time.perf_counter()
        limit_tokens = max_new_tokens or suite.max_new_tokens
        _say(progress, f"[{suite.name}] {len(prompts)} prompts ({suite.mode})")
        if suite.mode == "loglik":
            records = score_multiple_choice(
                eng, prompts, suite.mc_style or "letter", progress=progress, desc=suite.name
            )
        else:
            records = _records(eng, policy, suite, prompts, *generated[suite.name])
            path = out / "samples" / f"{suite.name}.jsonl"
            task = [make_judge(suite.task_judge)] if suite.task_judge else []
            for judge in task or (safety_judges if suite.safety else []):
                records = _judge(judge, records, suite, path)
        write_jsonl(out / "samples" / f"{suite.name}.jsonl", records)
        entry = suite_metrics(suite, records, [j.name for j in safety_judges])
        entry["seconds"] = round(time.perf_counter() - start, 1)
        metrics["suites"][suite.name] = entry
        config["suites"][suite.name] = {
            "n": len(records),
            "mode": suite.mode,
            "max_new_tokens": limit_tokens if suite.mode == "generate" and not budget else None,
            "template": suite.template,
            "description": suite.description,
        }
        write_json(out / "metrics.json", metrics)
        _say(progress, f"[{suite.name}] {suite.metric} = {_fmt(entry['value'])} (n={len(records)})")
    run_order = [s.name for s, _ in planned]  # this run's suites first, in the order asked
    rest = [n for n in metrics["suites"] if n not in run_order]
    metrics["suites"] = {n: metrics["suites"][n] for n in run_order + rest}
    write_json(out / "metrics.json", metrics)
    cfg_path = out / "config.json"
    old_cfg = json.loads(cfg_path.read_text()) if cfg_path.exists() and previous else {}
    config["suites"] = {**old_cfg.get("suites", {}), **config["suites"]}
    write_json(cfg_path, config)
    from saro.evaluate.tables import results_markdown

    (out / "results.md").write_text(results_markdown(metrics, config), encoding="utf-8")
    return metrics


def _engine(model: str | BaseEngine, engine: str, options: dict[str, Any]) -> BaseEngine:
    if isinstance(model, BaseEngine):
        return model
    from saro.engines.factory import build_engine

    return build_engine(engine, str(model), **options)


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, file=sys.stderr, flush=True)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _generate_all(
    eng: BaseEngine,
    planned: list[tuple[Suite, list]],
    max_new_tokens: int | None,
    budget: Budget | None,
    seed: int,
    system: str | None,
    progress: bool,
) -> dict[str, tuple[list[str], list]]:
    """Greedy completions for every generating suite, in one engine call per token budget.

    One big call keeps the engine's batch full (a decode step costs about the same for 15 rows
    as for 60 on a CPU), where a call per suite would run each suite at its own small batch.
    Returns each suite's user turns and completions.
    """
    groups: dict[int, list[tuple[Suite, list[str], list[str]]]] = {}
    for suite, prompts in planned:
        turns = [suite.template.replace("{text}", p.text) for p in prompts]
        key = 0 if budget else max_new_tokens or suite.max_new_tokens  # forcing: one group
        groups.setdefault(key, []).append((suite, turns, [prefill_of(p) for p in prompts]))
    out: dict[str, tuple[list[str], list]] = {}
    for key, group in groups.items():
        requests = [
            ChatRequest.user(t, system=system, prefill=f)
            for _, turns, prefills in group
            for t, f in zip(turns, prefills, strict=True)
        ]
        names = ", ".join(s.name for s, _, _ in group)
        if budget:
            caps = f"reasoning {budget.reasoning} + answer {budget.answer} tokens max, forced"
            _say(progress, f"generating {len(requests)} responses ({names}; {caps})")
            outputs = generate_with_budget(eng, requests, budget, seed=seed, progress=progress)
        else:
            _say(progress, f"generating {len(requests)} responses ({names}; {key} tokens max)")
            outputs = eng.generate(
                requests, temperature=0.0, max_new_tokens=key, seed=seed, progress=progress
            )
        start = 0
        for suite, turns, _ in group:
            out[suite.name] = (turns, outputs[start : start + len(turns)])
            start += len(turns)
    return out


def _records(
    eng: BaseEngine, policy: Policy, suite: Suite, prompts: list, turns: list[str], outputs: list
) -> list[dict[str, Any]]:
    """One record per prompt, the response split into reasoning/answer."""
    count = _token_counter(eng)
    records = []
    for p, turn, [c] in zip(prompts, turns, outputs, strict=True):
        prefill = prefill_of(p)
        response = prefill + c.text  # a prefilled start is part of what the model "said"
        parsed = parse(response)
        answer_tok, reasoning_tok = count(c, parsed.answer, parsed.reasoning)
        records.append(
            {
                "id": p.id,
                "suite": suite.name,
                "prompt": turn,
                "kind": p.kind,
                "category": p.category,
                "policy_category": policy.category_or_none(p.source, p.category or None, p.text),
                "source": p.source,
                "attack": p.attack,
                "attack_kind": p.meta.get("attack_kind"),
                "base_id": p.meta.get("base_id"),
                "reference": p.reference,
                "choices": p.choices,
                "response": response,
                "reasoning": parsed.reasoning,
                "answer": parsed.answer,
                "well_formed": parsed.well_formed,
                "finish_reason": c.finish_reason,
                "forced": c.forced,
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
                "answer_tokens": answer_tok,
                "reasoning_tokens": reasoning_tok,
                "cached": c.cached,
                **({"prefill": prefill} if prefill else {}),
                **{k: p.meta[k] for k in RECOVERY_FIELDS if k in p.meta},
            }
        )
    return records


RECOVERY_FIELDS = ("recovery_side", "recovery_k", "prefix_id")


def prefill_of(p: Prompt) -> str:
    """The assistant prefill a suite's prompt asks for (``meta["prefill"]``), else ``""``."""
    return str(p.meta.get("prefill") or "")


def _token_counter(eng: BaseEngine):
    """Count answer and reasoning tokens with the model's tokenizer when there is one; else
    split the completion's token count in proportion to characters."""

    def count(c, answer: str, reasoning: str) -> tuple[int, int]:
        a, r = eng.count_tokens(answer), eng.count_tokens(reasoning)
        if a is not None and r is not None:
            return a, r
        total = len(answer) + len(reasoning)
        if not total:
            return 0, 0
        reasoning_tok = round(c.completion_tokens * len(reasoning) / total)
        return c.completion_tokens - reasoning_tok, reasoning_tok

    return count


def _judge(judge, records: list[dict[str, Any]], suite: Suite, path: Path) -> list[dict]:
    """Run one judge in batches.

    Verdicts of an endpoint judge already in the samples file for the same response are
    reused. On failure the samples (with every verdict reached so far) are written and the
    error says how to resume.
    """
    spec = judge.spec or judge.name
    old = {}
    # offline judges are cheap and may have been retrained since: always rerun them
    if path.exists() and judge.name not in OFFLINE_JUDGES:
        try:
            old = {r.get("id"): r for r in read_jsonl(path)}
        except SaroError:
            old = {}
    out = list(records)
    todo = []
    for i, rec in enumerate(out):
        prev = old.get(rec["id"]) or {}
        verdict = (prev.get("judges") or {}).get(judge.name)
        if prev.get("response") == rec["response"] and verdict and verdict.get("judge") == spec:
            out[i] = {**rec, "judges": {**(rec.get("judges") or {}), judge.name: verdict}}
        else:
            todo.append(i)
    for start in range(0, len(todo), JUDGE_BATCH):
        batch = todo[start : start + JUDGE_BATCH]
        try:
            judged = judge.judge([out[i] for i in batch])
        except (SaroError, OSError) as err:
            write_jsonl(path, out)
            raise SaroError(
                f"The {judge.name!r} judge failed on suite {suite.name!r}: {err}",
                f"The samples and the verdicts reached so far are kept in {path}; fix the "
                "judge and rerun the same command (generations come from the cache).",
            ) from None
        for i, rec in zip(batch, judged, strict=True):
            out[i] = rec
        if len(todo) > JUDGE_BATCH:
            write_jsonl(path, out)
    return out
