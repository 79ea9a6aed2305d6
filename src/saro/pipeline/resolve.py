"""What ``saro run --dry-run`` resolves beyond the stage plan: every prompt source the config
names (found in the registry, online or offline, train-only or eval-only, license), every eval
suite and judge, and the calls the run will make to endpoints (the teacher behind
``rit.teacher``, ``llm:`` judges), so a paper-scale plan can be checked on a laptop before a GPU
is booked. Nothing here loads a hub dataset or calls an endpoint.
"""

from __future__ import annotations

from typing import Any

from saro.config import prompt_spec
from saro.errors import SaroError


def _sources(cfg: Any) -> list[tuple[str, str]]:
    """``(where in the config, source name)`` for every prompt source the config names."""
    out = []
    if cfg.rit.teacher.engine != "seed":
        for kind, spec in cfg.rit.prompts.items():
            out.append((f"rit.prompts.{kind}", str(prompt_spec(spec)["source"])))
    for kind, spec in cfg.pref.prompts.items():
        name = prompt_spec(spec)["source"]
        if name != "rit":
            out.append((f"pref.prompts.{kind}", str(name)))
    return out


def source_lines(cfg: Any) -> list[str]:
    """One line per named source; raises for a name that is neither registered nor a file.

    Raises:
        SaroError: A source the registry does not know (with the nearest name).
    """
    from saro.sources.registry import is_local_spec, source_info

    lines = []
    for where, name in _sources(cfg):
        if is_local_spec(name):
            lines.append(f"  {where:<26} {name} (local file)")
            continue
        try:
            info = source_info(name)
        except SaroError as err:
            raise SaroError(f"{where} names an unknown source: {err.problem}", err.fix) from None
        side = "train-only" if info.train_only else "eval-only" if info.eval_only is True else ""
        where_from = "offline" if info.offline else "hub"
        lines.append(
            f"  {where:<26} {name} ({where_from}{', ' + side if side else ''}, {info.license})"
        )
    return lines


def suite_lines(cfg: Any) -> list[str]:
    """The eval suites with their sizes and where their prompts come from, and the judges."""
    from saro.evaluate.suites import HUB_SUITES, get_suite

    e = cfg.eval
    out = []
    for name in e.suites:
        s = get_suite(name)
        n = e.limits.get(name, e.limit or s.size)
        out.append(f"  {name:<22} {s.metric:<14} {n:>5} prompts"
                   f"{' (hub)' if name in HUB_SUITES else ''}")  # fmt: skip
    out.append(f"  judges: {', '.join(e.judges)} (the first gives the headline numbers)")
    return out


def endpoint_calls(cfg: Any, n_seeds: int = 1) -> list[str]:
    """Requests the run sends to endpoints: the teacher's samples and the ``llm:`` judges'."""
    from saro.pipeline.estimate import eval_samples, pref_prompts

    lines = []
    t = cfg.rit.teacher
    if t.engine != "seed":
        prompts = sum(int(prompt_spec(s).get("limit", 0)) for s in cfg.rit.prompts.values())
        lo, hi = prompts * t.k, prompts * t.k * t.max_rounds
        lines.append(
            f"  teacher {t.model} via {t.engine} ({t.base_url or 'default URL'}): {lo:,} to "
            f"{hi:,} samples ({prompts:,} prompts x k={t.k}, up to {t.max_rounds} rounds), "
            f"up to {hi * t.max_new_tokens:,} generated tokens; once, shared by every seed"
        )
    e = cfg.eval
    per_model = eval_samples(e)
    models = [m for m in cfg.arms if m in e.models]
    evals = per_model * (len(models) - 1) * n_seeds + per_model * ("base" in models)
    for judge in e.judges:
        if judge.startswith("llm:"):
            lines.append(f"  judge {judge}: ~{evals:,} calls ({per_model:,} per model evaluation)")
    if not lines:
        lines.append("  none (offline teacher and judges)")
    lines.append(f"  (the policy model samples ~{pref_prompts(cfg):,} prompts locally)")
    return lines
