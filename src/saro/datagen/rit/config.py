"""``saro data rit`` settings: where traces come from, which prompts, how many per kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TeacherConfig:
    """Where traces come from.

    Attributes:
        engine: ``seed`` (offline curated set), or an engine name: ``openai``, ``hf``, ``vllm``.
        model: Teacher model (engine-specific: hub id, local folder, served model name). With
            ``seed``: a warmed-up model (e.g. an earlier run's ``models/rw``) whose ``k``
            samples per prompt, prefilled with the seed trace's first step, are the SRS
            candidates; the seed trace is kept where none passes (:mod:`saro.datagen.rit.srs`).
        base_url: Endpoint for ``openai``.
        api_key_env: Environment variable holding the API key (never the key itself).
        k: Samples per prompt per round.
        max_rounds: Rounds of ``k`` samples before a prompt with nothing accepted is skipped.
        temperature: Sampling temperature.
        max_new_tokens: Cap on a trace's length.
        keep: ``shortest`` accepted candidate (Shortest Rejection Sampling) or ``random``
            accepted candidate (the no-SRS ablation: the same acceptance, no length preference).
    """

    engine: str = "seed"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    k: int = 4
    max_rounds: int = 2
    temperature: float = 0.8
    max_new_tokens: int = 1024
    keep: str = "shortest"


@dataclass
class RitConfig:
    """``saro data rit`` settings.

    Attributes:
        teacher: Trace source and sampling.
        prompts: Per-kind prompt sets for a teacher model; ``jailbreak`` wraps harmful prompts
            with training attacks.
        kinds: Kinds to include.
        limit_per_kind: Keep at most this many traces per kind (None: all), or a mapping
            ``{kind: count}`` (kinds it leaves out keep all their traces).
        select: Which prompts ``limit_per_kind`` keeps: ``stratified`` (in proportion to each
            kind's sources, attack kinds and corrections, seeded), ``first`` (file order) or
            ``shortest`` (fewest tokens; skews the mix, kept for older runs). See
            :mod:`saro.datagen.rit.select`.
        corrections: Keep the seed traces with a mid-course correction (False: leave them out,
            the RW-without-reflection ablation; the per-kind caps then fill with other traces).
        tokenizer: Model whose tokenizer counts tokens (the model you will train).
        policy: Policy file (None: the packaged default).
        seed: Seed for sampling (``saro run`` sets it from the run's seed).
        split_seed: Seed of the prompt and attack splits: only train-side prompts and attacks
            are used (``saro run`` sets it from the run's ``split_seed``).
    """

    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    prompts: dict[str, Any] = field(default_factory=dict)
    kinds: list[str] = field(
        default_factory=lambda: ["harmful", "jailbreak", "benign", "general", "math"]
    )
    limit_per_kind: int | dict[str, int] | None = None
    select: str = "stratified"
    corrections: bool = True
    tokenizer: str = "smollm2-135m"
    policy: str | None = None
    seed: int = 0
    split_seed: int = 0

    def kind_limit(self, kind: str) -> float:
        """How many traces of ``kind`` to keep (inf: all)."""
        cap = self.limit_per_kind
        if isinstance(cap, dict):
            cap = cap.get(kind)
        return float("inf") if cap is None else int(cap)
