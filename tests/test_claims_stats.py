"""Claims statistics: t and beta quantiles against published values, intervals, seeds to resolve."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from repro.claims.stats import (
    betainc,
    clopper_pearson,
    difference,
    one_sample,
    seeds_needed,
    t_critical,
    t_quantile,
    welch,
)

# Two-sided 95% critical values t_{0.975, df} from standard tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
    9: 2.262, 10: 2.228, 20: 2.086, 29: 2.045, 30: 2.042, 100: 1.984,
}  # fmt: skip


@pytest.mark.parametrize(("df", "expected"), sorted(T_975.items()))
def test_t_critical_matches_tables(df: int, expected: float) -> None:
    assert t_critical(df) == pytest.approx(expected, abs=5e-4)


def test_t_quantile_other_levels_symmetry_and_limits() -> None:
    assert t_quantile(0.9, 5) == pytest.approx(1.475884, abs=1e-6)
    assert t_quantile(0.995, 3) == pytest.approx(5.840909, abs=1e-6)
    assert t_quantile(0.025, 4) == pytest.approx(-t_quantile(0.975, 4))
    assert t_quantile(0.5, 7) == 0.0
    assert t_critical(1e7) == pytest.approx(1.959964, abs=1e-5)  # the normal limit
    # Welch gives fractional df: check the quantile against a direct integral of the t density.
    nu, q = 2.5, t_critical(2.5)
    grid = np.linspace(0.0, q, 200_001)
    log_c = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    density = np.exp(log_c) * (1 + grid**2 / nu) ** (-(nu + 1) / 2)
    assert 0.5 + np.trapezoid(density, grid) == pytest.approx(0.975, abs=1e-7)
    assert t_critical(3) < q < t_critical(2)
    with pytest.raises(ValueError):
        t_quantile(1.0, 3)


def test_incomplete_beta_known_values() -> None:
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248)  # 1 - sum_{k<2} C(4,k) .4^k .6^(4-k)
    assert betainc(1, 1, 0.3) == pytest.approx(0.3)
    assert betainc(0.5, 0.5, 0.5) == pytest.approx(0.5)
    assert betainc(3, 7, 0.2) == pytest.approx(1 - betainc(7, 3, 0.8))
    assert (betainc(2, 2, 0.0), betainc(2, 2, 1.0)) == (0.0, 1.0)


def test_clopper_pearson() -> None:
    low, high = clopper_pearson(3, 3)
    assert low == pytest.approx(0.025 ** (1 / 3)) and high == 1.0
    low, high = clopper_pearson(0, 5)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 5))
    low, high = clopper_pearson(1, 10)
    assert (low, high) == (pytest.approx(0.002529, abs=1e-6), pytest.approx(0.445016, abs=1e-6))


def test_clopper_pearson_at_the_count_rules_boundaries() -> None:
    # The count rule reads reproduced when the lower bound exceeds 1/2 and contradicted when the upper bound
    # is below it: a pure seed count needs 6 seeds, all holding (or none), to settle either way.
    assert clopper_pearson(3, 3)[0] == pytest.approx(0.2924, abs=1e-4)
    assert clopper_pearson(5, 5)[0] < 0.5 < clopper_pearson(6, 6)[0] == pytest.approx(0.5407, abs=1e-4)
    assert clopper_pearson(0, 5)[1] > 0.5 > clopper_pearson(0, 6)[1] == pytest.approx(0.4593, abs=1e-4)
    assert clopper_pearson(10, 10)[0] == pytest.approx(0.6915, abs=1e-4)
    assert clopper_pearson(0, 10)[1] == pytest.approx(0.3085, abs=1e-4)
    assert all(math.isnan(v) for v in clopper_pearson(0, 0))


def test_paired_by_seed_where_seeds_are_shared() -> None:
    x = pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])
    y = pd.Series([0.0, 1.0, 2.5], index=[0, 1, 2])
    est = difference(x, y)  # differences 1, 1, 0.5
    sd = pd.Series([1.0, 1.0, 0.5]).std()
    assert est.method == "paired t" and est.n == 3 and est.effect == pytest.approx(5 / 6)
    assert est.high - est.effect == pytest.approx(4.302653 * sd / math.sqrt(3), rel=1e-6)
    # The pairing removes the shared seed effect that Welch sees as spread.
    assert welch(x, y).high - welch(x, y).low > est.high - est.low


def test_welch_when_seeds_differ_and_no_interval_for_one_seed() -> None:
    x = pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])
    y = pd.Series([5.0, 7.0], index=[3, 4])
    est = difference(x, y)
    va, vb = 1.0 / 3, 2.0 / 2
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 1)
    assert est.method == "Welch t" and not est.paired and est.effect == pytest.approx(-4.0)
    assert est.high == pytest.approx(-4.0 + t_critical(df) * math.sqrt(va + vb))
    single = one_sample(pd.Series([2.0]))
    assert single.effect == 2.0 and not single.has_interval


def test_seeds_needed() -> None:
    # Paired: the first n with t_{n-1} / sqrt(n) < 1 is 7 (2.447 / 2.646 = 0.92; at 6, 2.571 / 2.449 = 1.05).
    assert seeds_needed([(1.0, 1.0, True)], 3) == 7
    # Independent arms: t_{n-1} sqrt(2 / n) < 1 first at n = 11.
    assert seeds_needed([(1.0, 1.0, False)], 3) == 11
    assert seeds_needed([(1.0, 1.0, True), (0.5, 1.0, True)], 3) > 7  # every gap must clear
    assert seeds_needed([(0.0, 1.0, True)], 3) is None  # a mean on its boundary: no n resolves it
    assert seeds_needed([(1.0, math.nan, True)], 1) is None  # spread unknown from one seed
    assert seeds_needed([(1e-6, 1.0, True)], 3) is None  # beyond MAX_SEEDS
