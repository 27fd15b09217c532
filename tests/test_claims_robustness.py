"""Claims compared across two independent draws: a claim that holds on one draw only is flagged."""

from __future__ import annotations

import pandas as pd

from repro.claims.robustness import compare_draws


def claims(results: dict[str, str]) -> pd.DataFrame:
    """A claims table with one row per claim id and the given verdicts."""
    return pd.DataFrame(
        [
            {"experiment": "toy", "id": cid, "statement": f"claim {cid}", "asserted": True, "result": r}
            for cid, r in results.items()
        ]
    )


def test_claims_holding_on_one_draw_only_are_flagged() -> None:
    first = claims({"A": "reproduced", "B": "reproduced", "C": "direction only", "D": "inconclusive"})
    second = claims({"A": "reproduced", "B": "direction only", "C": "reproduced"})
    out = compare_draws(first, second).set_index("id")
    assert out.loc["A", "robust"] and out.loc["A", "flag"] == ""
    assert not out.loc["B", "robust"]
    assert out.loc["B", "flag"] == "reproduced on the first draw only; direction only on the second"
    assert out.loc["C", "flag"] == "reproduced on the second draw only; direction only on the first"
    # Neither draw reproduced D (and the second never evaluated it): nothing to flag, nothing robust.
    assert out.loc["D", "second"] == "not evaluable" and out.loc["D", "flag"] == ""
    assert not out.loc["D", "robust"]
