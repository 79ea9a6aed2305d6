"""Evaluation: suites, the runner, metrics and comparisons (docs/eval.md).

Usage::

    from saro.evaluate import evaluate, compare_dirs
    evaluate("smollm2-135m", ["jailbreak", "harmful", "overrefusal", "gsm8k"], "runs/base/eval")
    compare_dirs(["runs/base/eval", "runs/saro/eval"])
"""

from saro.evaluate.compare import compare_dirs, compare_markdown
from saro.evaluate.metrics import SCHEMA_VERSION, wilson
from saro.evaluate.runner import evaluate
from saro.evaluate.schema import read_metrics
from saro.evaluate.stats import mcnemar_exact
from saro.evaluate.suites import (
    DEFAULT_SUITES,
    SUITES,
    Suite,
    file_suite,
    get_suite,
    parse_suites,
    register_suite,
)

__all__ = [
    "DEFAULT_SUITES",
    "SCHEMA_VERSION",
    "SUITES",
    "Suite",
    "compare_dirs",
    "compare_markdown",
    "evaluate",
    "file_suite",
    "get_suite",
    "mcnemar_exact",
    "parse_suites",
    "read_metrics",
    "register_suite",
    "wilson",
]
