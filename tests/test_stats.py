"""Paired tests and across-seed intervals (saro.evaluate.stats), against hand-computed cases."""

from __future__ import annotations

import pytest

from saro.evaluate.stats import holm, mcnemar_exact, paired_counts, stratified_exact, t_interval


def test_mcnemar_counts_only_discordant_prompts_and_matches_the_binomial_by_hand():
    """A: 1 on p1, p2, p5; B: 1 on p2, p3, p4, p6, p7, p8. Discordant: b = 2 (p1, p5: A only),
    c = 5 (p3, p4, p6, p7, p8). p = 2 * P(Bin(7, 1/2) <= 2) = 2 * (1 + 7 + 21) / 128."""
    a = {f"p{i}": int(i in (1, 2, 5)) for i in range(1, 10)}
    b = {f"p{i}": int(i in (2, 3, 4, 6, 7, 8)) for i in range(1, 10)}
    got = paired_counts(a, b)
    assert (got["n_pairs"], got["b"], got["c"]) == (9, 2, 5)
    assert got["p"] == pytest.approx(2 * 29 / 128)


def test_paired_counts_use_only_prompts_both_sides_scored():
    got = paired_counts({"x": 1, "y": 0, "z": 1}, {"x": 0, "w": 1})
    assert (got["n_pairs"], got["b"], got["c"]) == (1, 1, 0)


def test_mcnemar_edge_cases():
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0  # capped
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)


def test_stratified_exact_pools_the_discordant_pairs_of_every_seed():
    """Seeds with (b, c) = (1, 4), (0, 3), (2, 2): B = 3, C = 9, and
    p = 2 * P(Bin(12, 1/2) <= 3) = 2 * (1 + 12 + 66 + 220) / 4096; odds ratio 3 / 9."""
    strata = [{"b": 1, "c": 4, "n_pairs": 10}, {"b": 0, "c": 3, "n_pairs": 10},
              {"b": 2, "c": 2, "n_pairs": 10}]  # fmt: skip
    got = stratified_exact(strata)
    assert (got["strata"], got["n_pairs"], got["b"], got["c"]) == (3, 30, 3, 9)
    assert got["p"] == pytest.approx(2 * 299 / 4096)
    assert got["odds_ratio"] == pytest.approx(1 / 3)
    # no single seed is significant on its own, the pooled test is stronger than each
    assert all(mcnemar_exact(s["b"], s["c"]) > got["p"] for s in strata)


def test_holm_adjusts_step_down_and_keeps_the_input_order():
    """Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, then 0.04*1 = 0.04 raised to 0.06."""
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_t_interval_across_three_seeds_by_hand():
    """Mean 0.2, sd 0.1, t(0.975, 2) = 4.302653: half-width 4.302653 * 0.1 / sqrt(3)."""
    got = t_interval([0.1, 0.2, 0.3])
    assert got["mean"] == pytest.approx(0.2)
    assert got["sd"] == pytest.approx(0.1)
    half = 4.302653 * 0.1 / 3**0.5
    assert got["ci95"] == pytest.approx([0.2 - half, 0.2 + half], abs=1e-6)
    assert t_interval([0.4])["ci95"] is None
    assert t_interval([])["mean"] is None
