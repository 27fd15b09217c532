"""Evaluating an experiment's claims on its tidy table: one row per claim with its verdict and its numbers.

A claim's verdict is the weakest verdict of its checks (``repro.claims.verdicts.ORDER``); the numbers
beside it (effect, interval, seed agreement, seeds that would resolve it) are those of the deciding
comparison: the first comparison, in check order, that carries the claim's verdict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from repro.calibration import calibration_seeds, seed_text, unasserted_reason
from repro.claims.arms import named_variants
from repro.claims.floor import UNDER_TRAINED, floor_check
from repro.claims.registry import CHECKS
from repro.claims.verdicts import Comparison, Outcome, weakest

CLAIM_COLUMNS = [
    "experiment", "paper", "id", "statement", "asserted", "result", "measured", "evidence",
    "basis", "effect", "interval_low", "interval_high", "interval_method", "agreement", "seeds_needed",
    "asserted_at", "form_of", "unasserted_because", "unasserted_note", "calibration_seeds", "verdict_seeds",
    "floor_arm", "floor_arm_error", "floor_error", "floor",
]  # fmt: skip
EVIDENCE_COLUMNS = [
    "evidence", "basis", "effect", "interval_low", "interval_high", "interval_method", "agreement",
    "seeds_needed",
]  # fmt: skip


@dataclass
class ClaimResult:
    """A claim's verdict, its measured text, and the outcome of each of its checks."""

    result: str
    measured: str
    outcomes: list[Outcome]

    @property
    def deciding(self) -> Comparison | None:
        """The comparison whose verdict is the claim's (None when the claim is not evaluable)."""
        for outcome in self.outcomes:
            if outcome.verdict == self.result and outcome.deciding is not None:
                return outcome.deciding
        return None


def run_check(check: Mapping[str, Any], table: pd.DataFrame) -> Outcome:
    """Evaluate one check (already validated against the registry) on a tidy table."""
    return CHECKS.get(check["kind"])(check, table)


def assess_claim(claim: Mapping[str, Any], table: pd.DataFrame) -> ClaimResult:
    """The verdict, measured text and check outcomes of one claim."""
    outcomes = [run_check(check, table) for check in claim["checks"]]
    measured = "; ".join(outcome.text for outcome in outcomes)
    return ClaimResult(weakest(o.verdict for o in outcomes), measured, outcomes)


def evaluate_claim(claim: Mapping[str, Any], table: pd.DataFrame) -> tuple[str, str]:
    """(verdict, measured text) of one claim."""
    result = assess_claim(claim, table)
    return result.result, result.measured


def claim_row(result: ClaimResult) -> dict[str, Any]:
    """The numeric columns of a claim's row: those of its deciding comparison (empty when none)."""
    c = result.deciding
    if c is None:
        return dict.fromkeys(EVIDENCE_COLUMNS)
    est = c.estimate
    return {
        "evidence": c.evidence(), "basis": c.label, "effect": est.effect,
        "interval_low": est.low if est.has_interval else None,
        "interval_high": est.high if est.has_interval else None,
        "interval_method": est.method, "agreement": c.agreement, "seeds_needed": c.seeds_needed,
    }  # fmt: skip


def evaluate_claims(
    experiment: Mapping[str, Any], table: pd.DataFrame, scale: str, floor: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Evaluate every claim of an experiment (its parsed file) on its tidy table at ``scale``.

    With the experiment's linear floor (``repro.baselines``), a claim whose favoured arm does not beat it
    reads "not evaluable: under-trained" whatever its checks found; the checks' evidence stays beside it.
    """
    rows = []
    calibration = seed_text(calibration_seeds(experiment, scale))
    for claim in experiment.get("claims") or []:
        result = assess_claim(claim, table)
        verdict, measured = result.result, result.measured
        gate = floor_check(claim, table, floor)
        if gate is not None and gate.under:
            verdict, measured = UNDER_TRAINED, f"under-trained: {gate.text()}; {measured}"
        because, note = unasserted_reason(claim, scale)
        rows.append({
            "experiment": experiment["name"], "paper": (experiment.get("paper") or {}).get("key", ""),
            "id": claim["id"], "statement": claim["statement"],
            "asserted": scale in (claim.get("assert_at") or []),
            "result": verdict, "measured": measured, **claim_row(result),
            "asserted_at": ",".join(claim.get("assert_at") or []),  # the scales it is expected to hold at
            "form_of": claim.get("form_of") or "", "unasserted_because": because, "unasserted_note": note,
            "calibration_seeds": calibration, "verdict_seeds": seed_text(claim_seeds(claim, table)),
            "floor_arm": gate.arm if gate else "", "floor_arm_error": gate.error if gate else None,
            "floor_error": gate.floor if gate else None, "floor": gate.text() if gate else "",
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return frame.astype({"seeds_needed": "Int64"})


def claim_seeds(claim: Mapping[str, Any], table: pd.DataFrame) -> list[int]:
    """The seeds of the runs a claim compares: those of its named variants (every run's for a selector)."""
    if table.empty or "seed" not in table or "variant" not in table:
        return []
    variants = table["variant"].astype(str)
    named = named_variants(claim.get("checks") or [], set(variants))
    rows = table if named is None else table[variants.isin(named)]
    return sorted(int(s) for s in rows["seed"].dropna().unique())
