"""The model roster: one record per arm of the experiment, in the order tables show them.

Every place that lists models (the run's training and eval stages, the config check, the
analyses, the report, the plots) reads :data:`ROSTER`; adding an arm is one record here plus
the stage that builds its training data.
"""

from __future__ import annotations

from dataclasses import dataclass

from saro.errors import unknown_name


@dataclass(frozen=True)
class Arm:
    """One model of the experiment.

    Attributes:
        key: Folder and config key (``models/<key>``, ``eval/<key>``, ``train.<key>``).
        display: The name tables and plots show.
        color: Its colour in every plot.
        trainer: ``sft`` or ``dpo``; None for the untouched base model.
        stage: The stage name its training run records (``run.json``, ``metrics.jsonl``).
        start: Key of the arm it is trained from (None for the base model).
        data: Its training files, relative to the run directory.
        describe: One line for ``--dry-run`` and the docs.
        default: Whether a run trains it when its config has no ``arms:`` list (ablations are
            off by default).
    """

    key: str
    display: str
    color: str
    trainer: str | None = None
    stage: str | None = None
    start: str | None = None
    data: tuple[str, ...] = ()
    describe: str = ""
    default: bool = True

    @property
    def trained(self) -> bool:
        return self.trainer is not None


ROSTER: tuple[Arm, ...] = (
    Arm("base", "Base", "#7f7f7f", describe="the untouched starting model"),
    Arm(
        "safety_sft", "Safety-SFT", "#1f77b4", "sft", "safety-sft", "base",
        ("rit/safety_sft.jsonl",), "Safety-SFT baseline: SFT on RIT-D's answers, no reasoning",
    ),
    Arm(
        "sft_dpo", "Safety-SFT→DPO", "#17becf", "dpo", "sft-dpo", "safety_sft",
        ("pref/control/pairs.jsonl",),
        "control: DPO from Safety-SFT on its own answers, no reasoning",
    ),
    Arm(
        "direct_dpo", "Direct-DPO", "#9467bd", "dpo", "direct-dpo", "base",
        ("pref/direct/pairs.jsonl",), "Direct-DPO baseline: DPO from the base on direct pairs",
    ),
    Arm(
        "rw", "RW", "#ff7f0e", "sft", "rw", "base",
        ("rit/rit.jsonl",), "RW: SFT on RIT-D (reasoning-style warmup)",
    ),
    Arm(
        "saro", "SaRO", "#2ca02c", "dpo", "srpo", "rw",
        ("pref/opcot/pairs.jsonl", "pref/ppcot/pairs.jsonl"),
        "SRPO: DPO from RW on OP-COT + PP-COT",
    ),
    Arm(
        "saro_op", "SaRO (OP-COT only)", "#98df8a", "dpo", "srpo-op", "rw",
        ("pref/opcot/pairs.jsonl",),
        "ablation: SRPO from RW on OP-COT alone, no process pairs", default=False,
    ),
)  # fmt: skip

MODELS: tuple[str, ...] = tuple(a.key for a in ROSTER)
DEFAULT_ARMS: tuple[str, ...] = tuple(a.key for a in ROSTER if a.default)
TRAINED: tuple[str, ...] = tuple(a.key for a in ROSTER if a.trained)
SARO = "saro"  # the arm the verdict compares every other arm with


def arm(key: str) -> Arm:
    """The roster record ``key``; an unknown key names the nearest one."""
    for a in ROSTER:
        if a.key == key:
            return a
    raise unknown_name("model key", key, MODELS)


def display(key: str) -> str:
    """The display name of a model key (the key itself for a model not on the roster)."""
    return next((a.display for a in ROSTER if a.key == key), key)


def color(key: str) -> str | None:
    return next((a.color for a in ROSTER if a.key == key), None)
