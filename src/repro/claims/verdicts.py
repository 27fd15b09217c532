"""Verdicts: what one comparison over seeds supports, and how a check's and a claim's verdicts combine.

Every comparison a check makes carries its effect in the metric's units, a 95% interval over seeds
(``repro.claims.stats``), the seeds in which its direction holds, and whether the means satisfy the claim
as stated (``holds``: the verdict before the spread over seeds was weighed). Three rules turn them into
words:

- direction (``effect > threshold``; the margin of orderings, pairwise and trend checks):
  reproduced when the means hold, the interval lies above the threshold and the direction holds in every
  seed compared; contradicted when the interval lies wholly on the wrong side (below zero, or below a
  negative threshold); direction only when the means hold but the interval or a seed does not;
  inconclusive otherwise (a mean effect between zero and the margin).
- range (equivalence and location: ``low <= effect <= high``; flat, within, near_reference, argmin,
  crossover): reproduced when the interval lies inside the range; contradicted when it lies wholly
  outside; direction only when the point value is inside; inconclusive otherwise. Seed agreement is
  reported, not required: the claim is about the mean.
- count (status and first-passage checks, where a t interval means little at n = 3): reproduced when the
  counted condition holds (and, if ``require_agreement``, in every seed); contradicted when the check
  says so (e.g. no seed behaves as claimed); inconclusive otherwise.

A check's verdict is the weakest of its comparisons, a claim's the weakest of its checks, in ORDER.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from repro.claims.stats import Estimate, seeds_needed

REPRODUCED = "reproduced"
DIRECTION_ONLY = "direction only"
INCONCLUSIVE = "inconclusive"
CONTRADICTED = "contradicted"
NOT_EVALUABLE = "not evaluable"
# Weakest first. A claim is a conjunction of checks: one contradicted part contradicts it, so that ranks
# below a part that could not be evaluated, which leaves the claim open.
ORDER = (CONTRADICTED, NOT_EVALUABLE, INCONCLUSIVE, DIRECTION_ONLY, REPRODUCED)
RULES = ("direction", "range", "count")


def weakest(verdicts: Iterable[str]) -> str:
    """The weakest verdict in ORDER (not evaluable for none)."""
    return min(verdicts, key=ORDER.index, default=NOT_EVALUABLE)


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
    seeds: int | None = None
    require_agreement: bool = True
    contradicted: bool = False  # count rule: the check found the claim contradicted
    resolve: tuple[tuple[float, float, bool], ...] | None = None  # gaps for seeds_needed, if not the default
    unit: str = ""
    signed: bool = True  # a difference shows its sign; a location or a fraction does not

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown comparison rule {self.rule!r}; valid: {RULES}")

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
        """The verdict word of this comparison under its rule."""
        agreed = self.all_agree or not self.require_agreement
        if self.rule == "count":
            if self.contradicted:
                return CONTRADICTED
            return REPRODUCED if self.holds and agreed else INCONCLUSIVE
        if self.holds and self.clears and agreed:
            return REPRODUCED
        if self._wrong_side():
            return CONTRADICTED
        return DIRECTION_ONLY if self.holds else INCONCLUSIVE

    def _wrong_side(self) -> bool:
        est = self.estimate
        if not est.has_interval:
            return False
        if self.rule == "direction":
            return est.high < min(self.low, 0.0)
        return est.low > self.high or est.high < self.low

    @property
    def seeds_needed(self) -> int | None:
        """Seeds that would resolve a result within the noise at the observed spread (None otherwise)."""
        if self.rule == "count" or self.verdict not in (DIRECTION_ONLY, INCONCLUSIVE) or self.clears:
            return None
        est = self.estimate
        gaps = self.resolve if self.resolve is not None else ((self._gap(), est.sd, est.paired),)
        return seeds_needed(list(gaps), est.n)

    def _gap(self) -> float:
        """Distance from the mean effect to the boundary its interval must clear (<= 0: none can)."""
        e = self.estimate.effect
        if self.rule == "direction":
            wrong = min(self.low, 0.0)
            return e - self.low if e > self.low else (wrong - e if e < wrong else 0.0)
        if self.low <= e <= self.high:
            return min(e - self.low, self.high - e)
        return e - self.high if e > self.high else self.low - e

    @property
    def agreement(self) -> str:
        """'k/n' seeds, or '' where agreement is not defined."""
        return "" if self.agree is None else f"{self.agree}/{self.seeds}"

    def evidence(self) -> str:
        """Compact text: effect [95% interval], seed agreement, and the seeds that would resolve it."""
        est = self.estimate
        fmt = fmt_signed if self.signed else fmt_plain
        text = fmt(est.effect) + (f" {self.unit}" if self.unit else "")
        if est.has_interval:
            text += f" [{fmt(est.low)}, {fmt(est.high)}]"
        parts = [text]
        if self.agree is not None:
            parts.append(f"{self.agreement} seeds")
        if self.seeds_needed is not None:
            parts.append(f"~{self.seeds_needed} seeds would resolve it")
        return ", ".join(parts)

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
