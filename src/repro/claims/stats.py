"""Small-sample statistics for claims: t and beta quantiles, 95% intervals over seeds, seeds to resolve.

scipy is not a dependency, so the quantiles come from the regularized incomplete beta function (a
continued fraction, evaluated by the modified Lentz method) inverted by bisection. Both the Student t and
the Clopper-Pearson binomial intervals reduce to it, and bisection on a monotone function in [0, 1] cannot
fail to converge, which matters more here than speed (a claims table needs a few hundred quantiles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

LEVEL = 0.95
MAX_SEEDS = 1000  # seeds_needed looks no further: beyond this "more seeds" is not a useful answer
_TINY = 1e-300


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the continued fraction converges fast only below this point
        return 1.0 - betainc(b, a, 1.0 - x)
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    return math.exp(log_front) * _beta_fraction(a, b, x) / a


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (modified Lentz): 1 / (1 + d1 / (1 + d2 / (1 + ...)))."""
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result


def beta_quantile(p: float, a: float, b: float) -> float:
    """The x in [0, 1] with I_x(a, b) = p, by bisection (to the precision of a double)."""
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if mid in (low, high):
            break
        low, high = (mid, high) if betainc(a, b, mid) < p else (low, mid)
    return 0.5 * (low + high)


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with ``df`` (> 0, not necessarily whole) degrees of freedom."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0 < p < 1 and df > 0, got p={p}, df={df}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    # P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2): invert for the two-sided tail 2(1 - p).
    x = beta_quantile(2.0 * (1.0 - p), df / 2.0, 0.5)
    return math.sqrt(df * (1.0 - x) / x)


@lru_cache(maxsize=4096)
def t_critical(df: float, level: float = LEVEL) -> float:
    """The two-sided critical value t_{(1+level)/2, df}."""
    return t_quantile(0.5 + level / 2.0, df)


def clopper_pearson(k: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval for a binomial proportion of k successes in n trials."""
    if n <= 0:
        return math.nan, math.nan
    alpha = 1.0 - level
    low = 0.0 if k == 0 else beta_quantile(alpha / 2.0, k, n - k + 1)
    high = 1.0 if k == n else beta_quantile(1.0 - alpha / 2.0, k + 1, n - k)
    return low, high


@dataclass(frozen=True)
class Estimate:
    """A mean effect over seeds with its 95% interval; ``sd`` and ``paired`` let seeds_needed extrapolate."""

    effect: float
    low: float
    high: float
    sd: float  # of the per-seed differences (paired, one-sample) or the pooled sd of the two arms (Welch)
    # The seeds behind it, which the 3-seed cap of repro.claims.verdicts reads: shared seeds (paired),
    # seeds with a finite value (one-sample), the smaller arm (Welch), the seeds of a count.
    n: int
    method: str
    paired: bool = True  # the half-width shrinks as 1/sqrt(n) (paired, one-sample) or sqrt(2/n) (Welch)

    @classmethod
    def exact(cls, effect: float, method: str, n: int = 0) -> Estimate:
        """A value without an interval (e.g. a location read off mean curves)."""
        return cls(effect, math.nan, math.nan, math.nan, n, method)

    @property
    def has_interval(self) -> bool:
        """Whether the interval is defined (at least two seeds, finite values)."""
        return bool(np.isfinite(self.low) and np.isfinite(self.high))


def one_sample(values: pd.Series | np.ndarray, reference: float = 0.0) -> Estimate:
    """mean(values) - reference with a one-sample t interval over seeds (none for fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, 0, "none")
    effect = float(x.mean() - reference)
    if len(x) < 2:
        return Estimate(effect, math.nan, math.nan, math.nan, 1, "one seed: no interval")
    sd = float(x.std(ddof=1))
    half = t_critical(len(x) - 1) * sd / math.sqrt(len(x))
    return Estimate(effect, effect - half, effect + half, sd, len(x), "t")


def difference(x: pd.Series, y: pd.Series) -> Estimate:
    """mean(x) - mean(y) over seeds (Series indexed by seed): paired by seed where >= 2 seeds are shared.

    Same-seed runs of two arms are paired. In this pipeline the seed fixes the data order generator and
    the torch seed of the initialisation, and the data subset is the same for every seed; so two arms of
    one seed share their data stream, and arms of one architecture (a learning-rate or init-std pair) share
    their initial weights too. The pairs of different seeds are independent draws, so the t interval on
    the per-seed differences is valid whatever the correlation within a pair: it only gains when the
    shared stream correlates the arms, and loses some degrees of freedom (n - 1 against up to 2n - 2) when
    it does not (different architectures share only the data order). It also gives the per-seed
    agreement a meaning. Seeds that only one arm completed are left out of the pairing (the caller names
    them); with fewer than two shared seeds the arms are compared as independent samples (Welch).
    """
    x, y = _finite(x), _finite(y)
    shared = x.index.intersection(y.index)
    if len(shared) >= 2:
        estimate = one_sample(x.loc[shared] - y.loc[shared])
        return Estimate(estimate.effect, estimate.low, estimate.high, estimate.sd, len(shared), "paired t")
    return welch(x, y)


def welch(x: pd.Series, y: pd.Series) -> Estimate:
    """mean(x) - mean(y) with Welch's t interval (Satterthwaite degrees of freedom)."""
    a, b = np.asarray(_finite(x), dtype=float), np.asarray(_finite(y), dtype=float)
    if len(a) == 0 or len(b) == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, 0, "none", paired=False)
    effect = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return Estimate(effect, math.nan, math.nan, math.nan, min(len(a), len(b)), "one seed: no interval")
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    pooled_sd = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2.0)
    if se == 0.0:
        return Estimate(effect, effect, effect, 0.0, min(len(a), len(b)), "Welch t", paired=False)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = t_critical(df) * se
    return Estimate(effect, effect - half, effect + half, pooled_sd, min(len(a), len(b)), "Welch t", False)


def _finite(values: pd.Series) -> pd.Series:
    """The finite values of a seed-indexed Series, as floats."""
    values = pd.Series(values, dtype=float)
    return values[np.isfinite(values)]


def half_width(sd: float, n: int, paired: bool) -> float:
    """The 95% half-width that ``n`` seeds would give at spread ``sd``."""
    if n < 2:
        return math.inf
    return t_critical(n - 1) * sd * (1.0 / math.sqrt(n) if paired else math.sqrt(2.0 / n))


def seeds_needed(gaps: list[tuple[float, float, bool]], n_now: int) -> int | None:
    """The fewest seeds (more than ``n_now``) whose interval would clear every (gap, sd, paired) at once.

    ``gap`` is the distance from the mean effect to the boundary the interval has to clear (e.g.
    |effect| - margin). None when some gap is not positive (more seeds cannot move a mean past its
    boundary), the spread is unknown (one seed), or more than MAX_SEEDS would be needed.
    """
    if not gaps or any(not (gap > 0) or not np.isfinite(sd) for gap, sd, _ in gaps):
        return None

    def clears(n: int) -> bool:
        return all(half_width(sd, n, paired) < gap for gap, sd, paired in gaps)

    low, high = max(n_now + 1, 2), MAX_SEEDS
    if not clears(high):
        return None
    while low < high:  # the half-width falls with n, so bisect for the first n that clears
        mid = (low + high) // 2
        low, high = (low, mid) if clears(mid) else (mid + 1, high)
    return low
