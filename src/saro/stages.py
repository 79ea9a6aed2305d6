"""The stages of ``saro run`` (:mod:`saro.pipeline`): what each runs and what it costs."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from saro.pipeline import DISPLAY, MODELS, Run, Stage

# The ``stage`` each training run records in its run.json.
STAGE_NAMES = {"rw": "rw", "safety_sft": "safety-sft", "saro": "srpo", "direct_dpo": "direct-dpo"}
# Rough token counts per record, for --dry-run only.
RIT_TOKENS, DIRECT_TOKENS = 295, 180  # mean tokens of a templated RIT-D / answer-only row


def _splits(run: Run) -> dict[str, Any]:
    from saro.attacks import load_attacks, split_attacks
    from saro.sources.splits import default_plan

    _, manifest = default_plan(run.cfg.seed).run()
    attacks = split_attacks(load_attacks(), seed=run.cfg.seed).manifest()
    out = run.path("splits")
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").write_text(
        json.dumps({"prompts": manifest, "attacks": attacks}, indent=2, default=str)
    )
    return {}


def _rit(run: Run) -> dict[str, Any]:
    from saro.build.rit_build import build_rit

    cfg = run.cfg.rit
    cfg.seed = run.cfg.seed
    card = build_rit(cfg, run.path("rit"), progress=run.progress)
    return {"rows": card["rows"]}


def _train(key: str, kind: str, data: Any, start: Any) -> Any:
    def stage(run: Run) -> dict[str, Any]:
        from saro.train.common import last_checkpoint
        from saro.train.config import build_config

        values = {**run.cfg.train.get(key, {})}
        out = run.path("models", key)
        values.update(
            model_name_or_path=start(run),
            output_dir=str(out),
            seed=run.cfg.seed,
            stage=STAGE_NAMES[key],
        )
        values.update(data(run))
        values["resume"] = last_checkpoint(out) is not None
        config = build_config(kind, values, source=f"train.{key}")
        if kind == "sft":
            from saro.train.sft import main
        else:
            from saro.train.dpo import main
        main(config)
        return {}

    return stage


def _pref(which: str) -> Any:
    def stage(run: Run) -> dict[str, Any]:
        from saro.build.pref_build import build_opcot_dir, build_ppcot_dir

        cfg = run.cfg.pref
        cfg.seed = run.cfg.seed
        cfg.rit = cfg.rit or str(run.path("rit", "rit.jsonl"))
        build = build_opcot_dir if which == "opcot" else build_ppcot_dir
        card = build(run.model_path("rw"), cfg, run.path("pref", which), progress=run.progress)
        return {"pairs": card["pairs"]}

    return stage


def _direct(run: Run) -> dict[str, Any]:
    from saro.build.accept import Acceptor
    from saro.build.direct import build_direct_pairs
    from saro.generate import build_engine
    from saro.policy import Policy

    d = run.cfg.direct
    engine = build_engine(run.cfg.pref.sampling.engine, run.cfg.base_model)
    card = build_direct_pairs(
        engine,
        run.path("rit", "safety_sft.jsonl"),
        run.path("pref", "direct"),
        kinds=d.kinds,
        n=d.n,
        temperature=d.temperature,
        max_new_tokens=d.max_new_tokens,
        seed=run.cfg.seed,
        limit=d.limit,
        acceptor=Acceptor(Policy.load(run.cfg.pref.policy).ids, reasoning=False),
        progress=run.progress,
    )
    return {"pairs": card["pairs"]}


def _eval(key: str) -> Any:
    def stage(run: Run) -> dict[str, Any]:
        from saro.evaluate.runner import evaluate

        e = run.cfg.eval
        if key not in e.models:
            return {"skipped": "not in eval.models"}
        metrics = evaluate(
            run.model_path(key),
            e.suites,
            run.path("eval", key),
            limit=e.limit,
            limits=e.limits,
            engine=e.engine,
            judges=e.judges,
            max_new_tokens=e.max_new_tokens,
            seed=run.cfg.seed,
            progress=run.progress,
            force=True,
        )
        return {"suites": sorted(metrics.get("suites", metrics))}

    return stage


def _analyze(run: Run) -> dict[str, Any]:
    from saro.analysis import analyze

    a = run.cfg.analysis
    analyze(run.dir, embeddings=a.embeddings, n_per_kind=a.n_per_kind)
    return {}


def _report(run: Run) -> dict[str, Any]:
    from saro.report import write_report

    paths = write_report(run.dir)
    return {"report": str(paths[0]) if isinstance(paths, list | tuple) else str(paths)}


# -- estimates -----------------------------------------------------------------------------
def _n_seed(run: Run) -> int:
    from saro.build.seed import read_seed_records

    recs = [r for r in read_seed_records() if r["kind"] in run.cfg.rit.kinds]
    per_kind = Counter(r["kind"] for r in recs)
    return int(sum(min(n, run.cfg.rit.kind_limit(k)) for k, n in per_kind.items()))


def _epochs(run: Run, key: str) -> float:
    return float(run.cfg.train.get(key, {}).get("num_train_epochs", 1))


def _est_train(key: str, per_row: int, rows: Any, dpo: bool = False) -> Any:
    def est(run: Run) -> tuple[int, float]:
        n = rows(run)
        cap = run.cfg.train.get(key, {}).get("max_train_samples")
        n = min(n, cap) if cap else n
        tokens = int(n * per_row * _epochs(run, key) * (2 if dpo else 1))
        rate = run.cfg.throughput.train_tokens_per_s
        factor = run.cfg.throughput.dpo_cost_factor / 2 if dpo else 1.0
        return tokens, tokens * factor / rate

    return est


def _pref_prompts(run: Run) -> int:
    return sum(
        (spec or {}).get("limit", 50) if isinstance(spec, dict) else 50
        for spec in run.cfg.pref.prompts.values()
    )


def _est_gen(tokens_of: Any) -> Any:
    def est(run: Run) -> tuple[int, float]:
        tokens = int(tokens_of(run))
        return tokens, tokens / run.cfg.throughput.gen_tokens_per_s

    return est


def _est_eval(run: Run) -> float:
    e = run.cfg.eval
    gen_suites = [s for s in e.suites if s not in ("arc_easy", "mmlu")]
    prompts = sum(e.limits.get(s, e.limit or 30) for s in gen_suites)
    return prompts * (e.max_new_tokens or 256) * 0.7


def _zero(run: Run) -> tuple[int, float]:
    return 0, 20.0


def _build() -> list[Stage]:
    p = lambda run: run.cfg.pref  # noqa: E731
    stages = [
        Stage("splits", _splits, _zero, "prompt splits and attack splits -> splits/"),
        Stage("rit", _rit, _zero, "RIT-D + Safety-SFT variant (SRS) -> rit/"),
        Stage(
            "train_rw",
            _train(
                "rw",
                "sft",
                lambda r: {"train_file": str(r.path("rit", "rit.jsonl"))},
                lambda r: r.cfg.base_model,
            ),
            _est_train("rw", RIT_TOKENS, _n_seed),
            "RW: SFT on RIT-D -> models/rw",
        ),
        Stage(
            "train_safety_sft",
            _train(
                "safety_sft",
                "sft",
                lambda r: {"train_file": str(r.path("rit", "safety_sft.jsonl"))},
                lambda r: r.cfg.base_model,
            ),
            _est_train("safety_sft", DIRECT_TOKENS, _n_seed),
            "Safety-SFT baseline",
        ),
        Stage(
            "opcot",
            _pref("opcot"),
            _est_gen(
                lambda r: _pref_prompts(r) * p(r).sampling.n * p(r).sampling.max_new_tokens * 0.7
            ),
            "OP-COT: on-policy rollouts of RW, judged pairs -> pref/opcot",
        ),
        Stage(
            "ppcot",
            _pref("ppcot"),
            _est_gen(lambda r: _pref_prompts(r) * p(r).sampling.n * p(r).ppcot.chosen_samples * 60),
            "PP-COT: stepwise-reflection pairs -> pref/ppcot",
        ),
        Stage(
            "direct_pairs",
            _direct,
            _est_gen(
                lambda r: (
                    min(_n_seed(r), r.cfg.direct.limit or float("inf"))
                    * r.cfg.direct.n
                    * r.cfg.direct.max_new_tokens
                    * 0.6
                )
            ),
            "direct pairs from the base model -> pref/direct",
        ),
        Stage(
            "train_saro",
            _train(
                "saro",
                "dpo",
                lambda r: {
                    "train_files": [
                        str(r.path("pref", "opcot", "pairs.jsonl")),
                        str(r.path("pref", "ppcot", "pairs.jsonl")),
                    ]
                },
                lambda r: str(r.path("models", "rw")),
            ),
            _est_train("saro", 420, lambda r: int(_pref_prompts(r) * 0.8), dpo=True),
            "SRPO: DPO from RW on OP-COT + PP-COT -> models/saro",
        ),
        Stage(
            "train_direct_dpo",
            _train(
                "direct_dpo",
                "dpo",
                lambda r: {"train_files": [str(r.path("pref", "direct", "pairs.jsonl"))]},
                lambda r: r.cfg.base_model,
            ),
            _est_train("direct_dpo", 180, _n_seed, dpo=True),
            "Direct-DPO baseline from the base model",
        ),
    ]
    for key in MODELS:
        stages.append(
            Stage(
                f"eval_{key}",
                _eval(key),
                _est_gen(_est_eval),
                f"evaluate {DISPLAY[key]} on every suite -> eval/{key}",
            )
        )
    stages += [
        Stage("analyze", _analyze, _zero, "embeddings, DPO curves, reflection, cost -> analysis/"),
        Stage("report", _report, _zero, "report.md + report.html"),
    ]
    return stages


STAGES = _build()
