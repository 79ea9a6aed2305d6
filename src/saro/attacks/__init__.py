"""Jailbreak attacks: real templates from pinned wheels and programmatic transforms.

The catalogue (loading, families, the train/eval split, wrapping prompts) lives in
:mod:`.catalog`; the transforms in :mod:`.transforms`.
"""

from saro.attacks.catalog import (
    Attack,
    AttackSplit,
    apply_attack,
    jailbreak_prompts,
    load_attacks,
    split_attacks,
    transform_attacks,
)

__all__ = [
    "Attack",
    "AttackSplit",
    "apply_attack",
    "jailbreak_prompts",
    "load_attacks",
    "split_attacks",
    "transform_attacks",
]
