"""The paper-scale plan resolves on a CPU without the hub or an endpoint: `saro run --dry-run`
on configs/paper/ names every source (hub training sets, train-only), every hub eval suite, the
judges, the teacher's and the LLM judge's endpoint calls, and the machine time at the config's
GPU rates, for three seeds with the base model's eval planned once."""

from __future__ import annotations

from pathlib import Path

import pytest

from saro.errors import SaroError
from saro.pipeline.config import load_run_config
from saro.pipeline.runner import run_pipeline
from saro.pipeline.seeds import run_seeds

PAPER = Path(__file__).resolve().parents[1] / "configs" / "paper"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dry run must not load hub data or call an endpoint")

    monkeypatch.setattr("saro.sources.hub.LOAD_DATASET", refuse)
    monkeypatch.setattr("saro.engines.factory.build_engine", refuse)


@pytest.mark.parametrize("name", ["run-llama3-8b.yaml", "run-qwen2-7b.yaml"])
def test_the_paper_plan_resolves_every_source_suite_judge_and_endpoint(name, tmp_path):
    cfg = load_run_config(PAPER / name)
    lines: list[str] = []
    run_seeds(cfg, tmp_path, cfg.seeds, dry_run=True, echo=lines.append)
    text = "\n".join(lines)
    assert cfg.seeds == [0, 1, 2] and "sft_dpo" in cfg.arms
    for src in (
        "wildjailbreak_train (hub, train-only, ODC-BY-1.0)",
        "alpaca (hub, train-only, CC-BY-NC-4.0)",
        "gsm8k_train (hub, train-only, MIT)",
    ):
        assert src in text  # fmt: skip
    for suite in ("xstest", "wildjailbreak_eval", "strongreject_hub", "harmbench_hub", "mmlu_hub"):
        assert f"  {suite} " in text
    assert "teacher Qwen/QwQ-32B via openai" in text and "24,000 to 48,000 samples" in text
    assert "judge llm:openai:gpt-4o@https://api.openai.com/v1" in text
    assert text.count("Prompt sources:") == 1  # resolved once, not per seed
    assert "reads rit/rit.jsonl, models/rw/config.json, models/rw/run.json; writes " in text
    assert text.count("eval_base ") == 1 and "[share] eval_base" in text
    totals = [line for line in lines if line.startswith("Estimated total")]
    assert len(totals) == 3 and all("h) of machine time" in t and "6,000 tokens/s" in t
                                    for t in totals)  # fmt: skip


def test_an_unknown_source_in_the_plan_is_named_before_any_work(tmp_path):
    cfg = load_run_config(PAPER / "run-qwen2-7b.yaml", ["rit.prompts.general.source=alpacca"])
    with pytest.raises(SaroError, match="rit.prompts.general names an unknown source"):
        run_pipeline(cfg, tmp_path, dry_run=True, echo=lambda s: None)
