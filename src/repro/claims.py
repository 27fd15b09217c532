"""Declarative claims, evaluated on tidy tables: orderings, pairwise comparisons and tolerances. No eval().

A claim in an experiment file::

    - id: R1
      statement: Plain nets get worse with depth (training error).
      assert_at: [quick, full]
      checks:
        - {kind: ordering, order: [plain20, plain32, plain44, plain56], margin: 0.0,
           metric: {split: train, metric: error, reduce: final}}

Each check compares per-variant means over seeds of one metric. A claim is reproduced when all its checks
hold, not evaluable when a variant it needs was not run, and is asserted only at the scales it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from repro.registry import Registry

CLAIM_COLUMNS = ["experiment", "paper", "id", "statement", "asserted", "result", "measured"]
CHECKS: Registry[Callable[[dict[str, Any], pd.DataFrame], tuple[bool | None, str]]] = Registry("claim check")


def per_seed_values(table: pd.DataFrame, metric: dict[str, Any]) -> pd.DataFrame:
    """One value per (variant, seed): final, median of the last k, min or max over steps, or over layers."""
    source = metric.get("source", "metrics")
    rows = table[(table["source"] == source) & (table["metric"] == metric["metric"])]
    if "status" in rows:  # diverged runs are named in the report's tables, not averaged in
        rows = rows[rows["status"] == "completed"]
    if "split" in metric:
        rows = rows[rows["split"] == metric["split"]]
    rows = rows.dropna(subset=["value"])
    if rows.empty:
        return pd.DataFrame(columns=["variant", "seed", "value"])
    reduce = metric.get("reduce", "final")
    if source != "metrics":  # probe rows: summarise the last step's values over layers/units
        last = rows[rows["step"] == rows.groupby(["variant", "seed"])["step"].transform("max")]
        how = metric.get("over", "median")
        return last.groupby(["variant", "seed"])["value"].agg(how).reset_index()
    rows = rows.sort_values("step")
    if reduce in ("min", "max"):  # the best (or worst) value over all logged steps
        return rows.groupby(["variant", "seed"])["value"].agg(reduce).reset_index()
    k = int(metric.get("k", 1)) if reduce == "median_last_k" else 1
    return rows.groupby(["variant", "seed"])["value"].apply(lambda v: v.tail(k).median()).reset_index()


def variant_means(table: pd.DataFrame, metric: dict[str, Any]) -> pd.DataFrame:
    """Mean, sd and n over seeds per variant."""
    values = per_seed_values(table, metric)
    return values.groupby("variant")["value"].agg(["mean", "std", "count"])


def _describe(metric: dict[str, Any]) -> str:
    return f"{metric.get('split', metric.get('source', ''))} {metric['metric']}".strip()


@CHECKS.register("ordering")
def check_ordering(check: dict[str, Any], table: pd.DataFrame) -> tuple[bool | None, str]:
    """Means increase along ``order`` (each step by more than ``margin``); missing variants are dropped."""
    means = variant_means(table, check["metric"])
    present = [v for v in check["order"] if v in means.index]
    if len(present) < int(check.get("min_present", len(check["order"]))) or len(present) < 2:
        missing = [v for v in check["order"] if v not in means.index]
        return None, f"{_describe(check['metric'])}: not run: {', '.join(missing)}"
    margin = float(check.get("margin", 0.0))
    values = [means.loc[v, "mean"] for v in present]
    ok = all(b - a > margin for a, b in zip(values, values[1:], strict=False))
    # State the expected order, then the measured means, so a failed ordering never reads as a held one.
    text = f"expected {' < '.join(present)}; means " + ", ".join(f"{x:.2f}" for x in values)
    return ok, f"{_describe(check['metric'])}: {text} (margin {margin:g})"


@CHECKS.register("pairwise_less")
def check_pairwise_less(check: dict[str, Any], table: pd.DataFrame) -> tuple[bool | None, str]:
    """For each pair (a, b): mean(a) + margin < mean(b)."""
    means = variant_means(table, check["metric"])
    margin = float(check.get("margin", 0.0))
    parts, oks = [], []
    for a, b in check["pairs"]:
        if a not in means.index or b not in means.index:
            continue
        ma, mb = means.loc[a, "mean"], means.loc[b, "mean"]
        oks.append(mb - ma > margin)
        parts.append(f"{a} {ma:.2f} vs {b} {mb:.2f}")
    if not oks:
        return None, f"{_describe(check['metric'])}: none of the pairs was run"
    return all(oks), f"{_describe(check['metric'])}: " + "; ".join(parts) + f" (margin {margin:g})"


@CHECKS.register("within")
def check_within(check: dict[str, Any], table: pd.DataFrame) -> tuple[bool | None, str]:
    """|mean(a) - mean(b)| <= tolerance for the variant pair ``pair``."""
    means = variant_means(table, check["metric"])
    a, b = check["pair"]
    if a not in means.index or b not in means.index:
        return None, f"{_describe(check['metric'])}: not run: {a if a not in means.index else b}"
    diff = abs(means.loc[a, "mean"] - means.loc[b, "mean"])
    tol = float(check["tolerance"])
    return diff <= tol, f"{_describe(check['metric'])}: |{a} - {b}| = {diff:.2f} (tolerance {tol:g})"


@CHECKS.register("near_reference")
def check_near_reference(check: dict[str, Any], table: pd.DataFrame) -> tuple[bool | None, str]:
    """Each listed variant's mean is within ``tolerance`` of the paper's number given in ``reference``."""
    means = variant_means(table, check["metric"])
    tol = float(check["tolerance"])
    parts, oks = [], []
    for variant, paper_value in check["reference"].items():
        if variant in means.index:
            ours = means.loc[variant, "mean"]
            oks.append(abs(ours - paper_value) <= tol)
            parts.append(f"{variant} {ours:.2f} vs paper {paper_value:.2f}")
    if not oks:
        return None, f"{_describe(check['metric'])}: none of the variants was run"
    return all(oks), f"{_describe(check['metric'])}: " + "; ".join(parts) + f" (tolerance {tol:g})"


def evaluate_claim(claim: dict[str, Any], table: pd.DataFrame) -> tuple[str, str]:
    """(result, measured text) of one claim: reproduced, not reproduced, or not evaluable."""
    outcomes = [CHECKS.get(c["kind"])(c, table) for c in claim["checks"]]
    measured = "; ".join(text for _, text in outcomes)
    if any(ok is None for ok, _ in outcomes):
        return "not evaluable", measured
    return ("reproduced" if all(ok for ok, _ in outcomes) else "not reproduced"), measured


def evaluate_claims(experiment: dict[str, Any], table: pd.DataFrame, scale: str) -> pd.DataFrame:
    """Evaluate every claim of an experiment (its parsed file) on its tidy table at ``scale``."""
    rows = []
    for claim in experiment.get("claims") or []:
        result, measured = evaluate_claim(claim, table)
        rows.append({
            "experiment": experiment["name"], "paper": (experiment.get("paper") or {}).get("key", ""),
            "id": claim["id"], "statement": claim["statement"],
            "asserted": scale in claim.get("assert_at", []),
            "result": result, "measured": measured,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)


# Checks on whole curves and probe series (dominates, range_less, steps_to_reach, diverges, bound).
from repro import claims_series  # noqa: E402, F401
