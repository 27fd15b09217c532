"""Verdicts: what one comparison over seeds supports, and how a check's and a claim's verdicts combine.

Every comparison a check makes carries its effect in the metric's units (or, for a count, the share of
runs or units in which the claim held), a 95% interval, the seeds in which its direction holds, and
whether the means satisfy the claim as stated (``holds``: the verdict before the spread over seeds was
weighed). Three rules turn them into words, written to be fixed before the results are seen:

- direction (``effect > threshold``; the margin of orderings, pairwise, trend and non-inferiority
  checks): reproduced when the means hold, the interval lies wholly above the threshold and the
  direction holds in every seed compared; contradicted when the interval lies wholly below the
  threshold, whatever its sign (a claim of "better by at least 10" measured at +3 [+1, +5] is
  contradicted: the data exclude the claimed size); direction only when the means hold but the interval
  or a seed does not; inconclusive otherwise (a mean at or below the threshold whose interval reaches it).
- range (equivalence and location: ``low <= effect <= high``; flat, within, near_reference, argmin,
  crossover): reproduced when the interval lies inside the range; contradicted when it lies wholly
  outside; direction only when the point value is inside; inconclusive otherwise. Seed agreement is
  reported, not required: the claim is about the mean.
- count (k of n seeds or units in which the claimed behaviour happens: diverges, steps_to_reach,
  range_less in every unit, a crossover that never happens), where a t interval means little: the share
  k/n with its exact Clopper-Pearson 95% interval [L, U], judged against a reference share p0 = 1/2
  ("in most runs"; a ``diverges`` check claiming a smaller ``min_fraction`` is judged against that
  fraction). With at least MIN_SEEDS seeds behind the count: reproduced when the claim holds as stated
  (the order holds on the mean curves, the required share is met, every unit holds) and L > p0;
  contradicted when U < p0; otherwise direction only when it holds, inconclusive when not. So a pure seed
  count needs 6 seeds, all holding, to read reproduced (3/3 gives [0.29, 1]; 6/6 gives L = 0.54), and 6
  with none holding to read contradicted; a count over units (10/10 units: L = 0.69) can at 3 seeds.

Fewer than MIN_SEEDS (3) seeds behind a comparison caps its verdict: reproduced reads direction only and
contradicted reads inconclusive, and the evidence says so ("2 seeds: fewer than 3"). The seeds behind a
direction or range comparison are ``Estimate.n`` (shared seeds when paired, the smaller arm under Welch,
the seeds of a one-sample interval); behind a count, the seeds its runs or units were measured on.

For a direction or range result within the noise (direction only or inconclusive, the interval short of
its boundary, or cleared on too few seeds) ``seeds_needed`` is the fewest seeds (at least MIN_SEEDS) whose
interval, at the observed spread, would clear the boundary on the mean's side: above the threshold
(towards reproduced) or below it (towards contradicted); inside or outside the range. None for a count.

A check's verdict is the weakest of its comparisons, a claim's the weakest of its checks, in ORDER.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from repro.claims.stats import Estimate, clopper_pearson, seeds_needed

REPRODUCED = "reproduced"
DIRECTION_ONLY = "direction only"
INCONCLUSIVE = "inconclusive"
CONTRADICTED = "contradicted"
NOT_EVALUABLE = "not evaluable"
# Weakest first. A claim is a conjunction of checks: one contradicted part contradicts it, so that ranks
# below a part that could not be evaluated, which leaves the claim open.
ORDER = (CONTRADICTED, NOT_EVALUABLE, INCONCLUSIVE, DIRECTION_ONLY, REPRODUCED)
RULES = ("direction", "range", "count")
MIN_SEEDS = 3  # below this, an interval over seeds (or a count of them) settles nothing either way
MAJORITY = 0.5  # the count rule's reference share: the claimed behaviour happens in most runs
# What the seed cap turns each verdict into: too few seeds can show a direction, never settle it.
CAPPED = {REPRODUCED: DIRECTION_ONLY, CONTRADICTED: INCONCLUSIVE}


def weakest(verdicts: Iterable[str]) -> str:
    """The weakest verdict in ORDER (not evaluable for none)."""
    return min(verdicts, key=ORDER.index, default=NOT_EVALUABLE)


def plural(n: int, word: str) -> str:
    """'1 seed', '3 seeds'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass(frozen=True)
class Comparison:
    """One comparison of a check: its estimate, the rule and bounds it is judged by, and seed agreement."""

    label: str
    estimate: Estimate
    rule: str
    low: float = -math.inf  # direction: the threshold the effect must exceed; range: the range
    high: float = math.inf
    holds: bool = False
    agree: int | None = None  # seeds in which the direction holds, of ``seeds`` compared
    seeds: int | None = None  # seeds compared in ``agree``; count rule: the seeds behind the count (required)
    require_agreement: bool = True
    resolve: tuple[tuple[float, float, bool], ...] | None = None  # gaps for seeds_needed, if not the default
    unit: str = ""
    signed: bool = True  # a difference shows its sign; a location or a fraction does not
    k: int | None = None  # count rule: seeds or units in which the claim held, of ``n``
    n: int | None = None
    counted: str = ""  # count rule: what n counts when not seeds ('units')
    share: float = MAJORITY  # count rule: the reference share p0 the interval of k/n is judged against

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown comparison rule {self.rule!r}; valid: {RULES}")
        if self.rule == "count" and (self.k is None or self.n is None or self.seeds is None):
            raise ValueError(f"count comparison {self.label!r} needs k, n and seeds")
        if self.rule == "count" and not self.counted and self.n != self.seeds:
            raise ValueError(f"count comparison {self.label!r} counts seeds: n ({self.n}) must be seeds")

    @property
    def seeds_behind(self) -> int:
        """The seeds the comparison rests on: Estimate.n, or for a count the seeds it was measured on."""
        return int(self.seeds if self.rule == "count" else self.estimate.n)  # type: ignore[arg-type]

    @property
    def too_few_seeds(self) -> bool:
        """Whether fewer than MIN_SEEDS seeds stand behind it (its verdict is then capped)."""
        return self.seeds_behind < MIN_SEEDS

    @property
    def clears(self) -> bool:
        """Whether the interval clears the rule's bound (above the threshold, or inside the range)."""
        est = self.estimate
        if self.rule == "count" or not est.has_interval:
            return False
        if self.rule == "direction":
            return est.low > self.low
        return self.low <= est.low and est.high <= self.high

    @property
    def all_agree(self) -> bool:
        """Whether the direction held in every seed compared (true when agreement is not defined)."""
        return self.agree is None or self.agree == self.seeds

    @property
    def verdict(self) -> str:
        """The verdict word of this comparison under its rule, capped when too few seeds stand behind it."""
        if self.rule == "count":
            return self._count_verdict()
        verdict = self._interval_verdict()
        return CAPPED.get(verdict, verdict) if self.too_few_seeds else verdict

    def _interval_verdict(self) -> str:
        """The direction or range verdict before the seed cap."""
        agreed = self.all_agree or not self.require_agreement
        if self.holds and self.clears and agreed:
            return REPRODUCED
        if self._wrong_side():
            return CONTRADICTED
        return DIRECTION_ONLY if self.holds else INCONCLUSIVE

    def _count_verdict(self) -> str:
        """The count rule: the Clopper-Pearson interval of k/n against ``share``, with >= MIN_SEEDS seeds."""
        low, high = self.estimate.low, self.estimate.high
        if not self.too_few_seeds:
            if self.holds and low > self.share:
                return REPRODUCED
            if high < self.share:
                return CONTRADICTED
        return DIRECTION_ONLY if self.holds else INCONCLUSIVE

    def _wrong_side(self) -> bool:
        est = self.estimate
        if not est.has_interval:
            return False
        if self.rule == "direction":
            return est.high < self.low  # below the threshold, whatever its sign: the claimed size is excluded
        return est.low > self.high or est.high < self.low

    @property
    def seeds_needed(self) -> int | None:
        """Seeds whose interval, at the observed spread, would clear the boundary on the mean's side.

        Direction: the threshold, from above (towards reproduced) or from below (towards contradicted);
        range: the range's nearer edge, from inside or outside. None for a count, a settled verdict, a mean
        on its boundary, an unknown spread (one seed), beyond MAX_SEEDS, or an interval that already clears
        with enough seeds (then a seed against the direction is what stands in the way, not the noise).
        """
        if self.rule == "count" or self.verdict not in (DIRECTION_ONLY, INCONCLUSIVE):
            return None
        if self.clears and not self.too_few_seeds:
            return None
        est = self.estimate
        gaps = self.resolve if self.resolve is not None else ((self._gap(), est.sd, est.paired),)
        return seeds_needed(list(gaps), max(est.n, MIN_SEEDS - 1))

    def _gap(self) -> float:
        """Distance from the mean effect to the boundary its interval must clear (<= 0: none can)."""
        e = self.estimate.effect
        if self.rule == "direction":
            return abs(e - self.low)  # above: towards reproduced; below: towards contradicted
        if self.low <= e <= self.high:
            return min(e - self.low, self.high - e)
        return e - self.high if e > self.high else self.low - e

    @property
    def agreement(self) -> str:
        """'k/n' seeds, or '' where agreement is not defined."""
        return "" if self.agree is None else f"{self.agree}/{self.seeds}"

    def evidence(self) -> str:
        """Compact text: effect [95% interval] (or 'held in k/n [CP interval]'), seeds, seeds to resolve."""
        if self.rule == "count":
            return self._count_evidence()
        est = self.estimate
        fmt = fmt_signed if self.signed else fmt_plain
        text = fmt(est.effect) + (f" {self.unit}" if self.unit else "")
        if est.has_interval:
            text += f" [{fmt(est.low)}, {fmt(est.high)}]"
        parts = [text]
        if self.agree is not None:
            parts.append(f"{self.agreement} seeds")
        if self.too_few_seeds:
            parts.append(f"{plural(est.n, 'seed')}: fewer than {MIN_SEEDS}")
        if self.seeds_needed is not None:
            parts.append(f"~{self.seeds_needed} seeds would resolve it")
        return ", ".join(parts)

    def _count_evidence(self) -> str:
        """'held in 3/3 [0.29, 1.00], 3 seeds' (units named, a reference share other than 1/2 shown)."""
        est, what = self.estimate, f" {self.counted}" if self.counted else ""
        text = f"held in {self.k}/{self.n}{what}"
        if est.has_interval:
            text += f" [{est.low:.2f}, {est.high:.2f}]"
        if self.share != MAJORITY:
            text += f" against {self.share:g}"
        seeds = plural(self.seeds_behind, "seed")
        return f"{text}, {seeds}" + (f": fewer than {MIN_SEEDS}" if self.too_few_seeds else "")

    def summary(self) -> str:
        """The label, the evidence, the interval's method and the verdict."""
        return f"{self.label}: {self.evidence()} ({self.estimate.method}): {self.verdict}"


def direction(
    label: str,
    estimate: Estimate,
    threshold: float = 0.0,
    holds: bool | None = None,
    agreement: tuple[int, int] | None = None,
    unit: str = "",
) -> Comparison:
    """A directional comparison: the effect should exceed ``threshold`` (by default the means decide)."""
    agree, seeds = agreement if agreement is not None else (None, None)
    return Comparison(
        label,
        estimate,
        "direction",
        low=threshold,
        holds=bool(estimate.effect > threshold) if holds is None else holds,
        agree=agree,
        seeds=seeds,
        unit=unit,
    )


def in_range(
    label: str,
    estimate: Estimate,
    low: float,
    high: float,
    holds: bool | None = None,
    agreement: tuple[int, int] | None = None,
    **extra: object,
) -> Comparison:
    """An equivalence or location comparison: the effect (and for reproduced its interval) in [low, high]."""
    agree, seeds = agreement if agreement is not None else (None, None)
    return Comparison(
        label,
        estimate,
        "range",
        low=low,
        high=high,
        holds=bool(low <= estimate.effect <= high) if holds is None else holds,
        agree=agree,
        seeds=seeds,
        require_agreement=False,
        **extra,  # type: ignore[arg-type]
    )


def count(
    label: str, held: tuple[int, int], seeds: int, holds: bool, counted: str = "", share: float = MAJORITY
) -> Comparison:
    """A count: the claim held in k of n seeds (or of n ``counted``, e.g. units), by the exact binomial rule.

    The estimate is the share k/n with its Clopper-Pearson 95% interval; ``seeds`` is how many seeds the
    count rests on (n itself for a count of seeds, which is then also its seed agreement).
    """
    k, n = held
    low, high = clopper_pearson(k, n)
    of_seeds = not counted
    return Comparison(
        label,
        Estimate(k / n if n > 0 else math.nan, low, high, math.nan, seeds, "Clopper-Pearson"),
        "count",
        holds=holds,
        agree=k if of_seeds else None,
        seeds=seeds,
        require_agreement=False,
        signed=False,
        k=k,
        n=n,
        counted=counted,
        share=share,
    )


@dataclass
class Outcome:
    """What one check found: its text, its comparisons, and the reason when it is not evaluable."""

    text: str
    comparisons: list[Comparison] = field(default_factory=list)
    reason: str = ""  # non-empty: not evaluable (a variant not run, only diverged, no shared unit or step)

    @classmethod
    def not_evaluable(cls, text: str) -> Outcome:
        """A check that could not be evaluated, with the reason as its text."""
        return cls(text=text, reason=text)

    @property
    def verdict(self) -> str:
        """The weakest verdict of the comparisons (not evaluable when there is a reason or none)."""
        if self.reason or not self.comparisons:
            return NOT_EVALUABLE
        return weakest(c.verdict for c in self.comparisons)

    @property
    def deciding(self) -> Comparison | None:
        """The first comparison with the check's verdict (None when not evaluable)."""
        if self.verdict == NOT_EVALUABLE:
            return None
        return next(c for c in self.comparisons if c.verdict == self.verdict)

    @property
    def holds(self) -> bool:
        """Whether the means satisfy every comparison (the verdict before seeds are weighed)."""
        return bool(self.comparisons) and all(c.holds for c in self.comparisons)


def fmt_plain(value: float) -> str:
    """A location or fraction: four significant digits ('32', '23.33', '0.3333')."""
    return f"{value:.4g}"


def fmt_signed(value: float, digits: int = 2) -> str:
    """'+1.23', '-0.50', 'inf' or 'nan'."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:+.{digits}f}"
