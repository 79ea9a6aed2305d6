"""Settings of the preference builders: ``saro data opcot|ppcot`` (:class:`PrefConfig`) and
``saro data direct`` (:class:`DirectConfig`), each its own section of a run config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SamplingConfig:
    """How the policy model samples.

    Attributes:
        n: Responses per prompt.
        temperature: Sampling temperature.
        top_p: Nucleus sampling.
        max_new_tokens: Cap per response (without budget forcing).
        max_reasoning_tokens: Budget forcing (:mod:`saro.engines.forcing`): the reasoning's
            budget; an unfinished reasoning is closed and answered, so no rollout is left
            without an answer (set with ``max_answer_tokens``; None: off).
        max_answer_tokens: Budget forcing: the answer's own budget.
        max_samples: Budget: total responses this build may generate (n x prompts).
        engine: Engine name for the policy model (``hf``, ``vllm``, ``openai``).
    """

    n: int = 4
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 320
    max_reasoning_tokens: int | None = None
    max_answer_tokens: int | None = None
    max_samples: int = 4000
    engine: str = "hf"


@dataclass
class PPCotConfig:
    """Process-level (stepwise reflection) settings.

    Attributes:
        steps: ``first`` (k=1), ``sampled`` (one random k per rollout), ``all`` (every k up to
            ``max_steps``) or an integer k.
        max_steps: Cap on k for ``all``.
        chosen_samples: Continuations sampled per (rollout, k) until the judge accepts one.
        max_rollouts: Use at most this many rejected rollouts.
        kinds: Prompt kinds whose rejected rollouts become process pairs.
    """

    steps: str | int = "sampled"
    max_steps: int = 3
    chosen_samples: int = 3
    max_rollouts: int | None = None
    kinds: list[str] = field(default_factory=lambda: ["harmful", "jailbreak", "benign"])


@dataclass
class PrefConfig:
    """``saro data opcot`` / ``saro data ppcot`` settings.

    Attributes:
        prompts: Per-kind prompt specs ``{kind: {source, limit}}`` (training split).
        sampling: How the policy model samples.
        pairs_per_prompt: Outcome pairs per prompt at most.
        rit: RIT-D file for off-policy chosen responses (None: none; ``saro run`` uses its own).
        on_missing_rejected: ``prefill`` or ``skip``.
        prefill_tries: Prefilled continuations tried per prompt before giving up.
        ppcot: Process-pair settings.
        policy: Policy file (None: packaged default).
        seed: Seed for sampling, for which training attack wraps which jailbreak prompt and for
            the prefilled openings (``saro run`` sets it from the run's seed).
        split_seed: Seed of the prompt and attack splits the training prompts come from: each
            kind takes the first ``limit`` prompts of its train split (``saro run`` sets it from
            the run's ``split_seed``).
    """

    prompts: dict[str, Any] = field(
        default_factory=lambda: {
            "harmful": {"source": "advbench", "limit": 40},
            "jailbreak": {"source": "advbench", "limit": 40},
            "benign": {"source": "overrefusal", "limit": 30},
            "math": {"source": "gsm8k", "limit": 20},
        }
    )
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    pairs_per_prompt: int = 1
    rit: str | None = None
    on_missing_rejected: str = "prefill"
    prefill_tries: int = 2
    ppcot: PPCotConfig = field(default_factory=PPCotConfig)
    policy: str | None = None
    seed: int = 0
    split_seed: int = 0


@dataclass
class DirectConfig:
    """``saro data direct``: pairs with no reasoning on either side, for the direct-DPO baseline.

    Attributes:
        kinds: RIT-D kinds to use.
        n: Samples per prompt from the starting model.
        temperature: Sampling temperature.
        max_new_tokens: Cap per sample.
        limit: Use a seeded sample of this many prompts (None: all of the kinds' prompts).
        engine: Engine name for the starting model (``hf``, ``vllm``, ``openai``); None: in
            ``saro run`` the ``pref`` section's sampling engine, alone ``hf``.
        policy: Policy file; None: in ``saro run`` the ``pref`` section's policy, alone the
            packaged default.
        seed: Seed for the prompt sample and sampling (``saro run`` sets it from the run's seed).
    """

    kinds: list[str] = field(default_factory=lambda: ["harmful", "jailbreak", "benign"])
    n: int = 2
    temperature: float = 1.0
    max_new_tokens: int = 160
    limit: int | None = None
    engine: str | None = None
    policy: str | None = None
    seed: int = 0
