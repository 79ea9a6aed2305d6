"""The split seed: what a run trains on never meets what it is evaluated on, whatever the seeds.

``split_seed`` decides the prompt and attack splits and which held-out prompts each suite
draws; ``seed`` only seeds sampling and training. So a run with ``seed: 1`` trains on the same
side of the same splits as ``seed: 0`` and is evaluated on the very same prompts (paired tests
across seeds need that), and a run with ``split_seed: 1`` trains on nothing any suite holds.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from saro.attacks import load_attacks, split_attacks
from saro.datagen.preference.rollouts import training_prompts
from saro.datagen.rit.seed import load_seed_set
from saro.engines import GenerationCache
from saro.engines.mock import MockEngine
from saro.evaluate import evaluate
from saro.evaluate.suites import SUITES
from saro.pipeline.config import load_run_config
from saro.store import read_jsonl

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
SOURCE_SUITES = ("jailbreak", "harmful", "overrefusal", "gsm8k", "arc_easy", "mmlu")


def _base_id(prompt) -> str:
    """The id of the prompt before any jailbreak wrapper."""
    return (prompt.meta or {}).get("base_id") or prompt.id.split("/jb-")[0]


def _eval_side(split_seed: int) -> tuple[set[str], set[str]]:
    """Every prompt id and attack id any source-backed suite can draw under ``split_seed``."""
    ids, attacks = set(), set()
    for name in SOURCE_SUITES:
        for p in SUITES[name].prompts(10**6, split_seed):
            ids.add(_base_id(p))
            if p.attack:
                attacks.add(p.attack)
    return ids, attacks


def _train_side(split_seed: int) -> tuple[set[str], set[str], Counter]:
    """Every prompt and attack id RIT-D (seed set) and the preference stage can train on."""
    cfg = load_run_config(CONFIGS / "demo.yaml")
    left_out: Counter = Counter()
    traces = load_seed_set(split_seed=split_seed, left_out=left_out)
    prompts = [t.prompt for t in traces]
    specs = {k: {**v, "limit": None} for k, v in cfg.pref.prompts.items() if v["source"] != "rit"}
    prompts += training_prompts(specs, split_seed=split_seed, seed=3)
    ids = {_base_id(p) for p in prompts}
    attacks = {p.attack for p in prompts if p.attack}
    attacks |= {a.id for a in split_attacks(load_attacks(), seed=split_seed).train}
    return ids, attacks, left_out


@pytest.mark.parametrize("split_seed", [0, 1])
def test_nothing_trained_on_is_in_any_eval_suite(split_seed):
    train_ids, train_attacks, left_out = _train_side(split_seed)
    eval_ids, eval_attacks = _eval_side(split_seed)
    assert train_ids and eval_ids
    assert not train_ids & eval_ids
    assert not train_attacks & eval_attacks
    if split_seed == 0:  # the seed traces were written for the default split's train side
        assert not left_out
    else:  # another split moves some of their prompts or attacks to the eval side: left out
        assert sum(left_out.values()) > 0


def test_a_different_split_seed_draws_other_eval_prompts():
    assert _eval_side(0)[0] != _eval_side(1)[0]


def _mock(tmp_path, seed):
    def script(request, index):
        return "<think>\nStep one.\n</think>\n\nI can't help with that."

    return MockEngine(script, model="m", cache=GenerationCache(tmp_path / f"cache-{seed}.jsonl"))


def test_runs_with_another_seed_are_evaluated_on_the_same_prompts(tmp_path):
    cfgs = {s: load_run_config(CONFIGS / "demo.yaml", [f"seed={s}"]) for s in (0, 1)}
    asked = {}
    for seed, cfg in cfgs.items():
        out = tmp_path / f"eval-{seed}"
        evaluate(_mock(tmp_path, seed), ["jailbreak", "overrefusal"], out, limit=6, seed=cfg.seed,
                 split_seed=cfg.split_seed, progress=False)  # fmt: skip
        asked[seed] = [
            [r["id"] for r in read_jsonl(out / "samples" / f"{s}.jsonl")]
            for s in ("jailbreak", "overrefusal")
        ]
    assert asked[0] == asked[1] and all(asked[0])


def test_a_stage_section_may_not_set_the_seeds_the_run_sets(tmp_path):
    from saro.errors import SaroError

    with pytest.raises(SaroError, match="rit.split_seed is set by the pipeline"):
        load_run_config(CONFIGS / "demo.yaml", ["rit.split_seed=1"])
