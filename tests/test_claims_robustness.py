"""Claims compared across two independent draws: a claim that holds on one draw only is flagged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from repro.claims.robustness import SEED_OFFSET, SUBSET_SEED, compare_draws, draw_variants, with_second_draw
from repro.experiments import load_experiment, second_draw_runs
from repro.report.claims_table import claims_tex

REPO = Path(__file__).resolve().parents[1]


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


def test_the_second_draw_reruns_the_variants_of_the_asserted_claims_only() -> None:
    named = {"id": "R1", "assert_at": ["quick"], "checks": [{"kind": "pairwise_less", "pairs": [["a", "b"]]}]}
    other = {"id": "R2", "assert_at": ["full"], "checks": [{"kind": "bound", "variants": ["c"]}]}
    assert draw_variants([named, other], "quick", ["a", "b", "c"]) == ["a", "b"]
    assert draw_variants([named, other], "smoke", ["a", "b", "c"]) == []
    arm = {"where": {"model.norm": "group"}}
    where = {"id": "G", "assert_at": ["quick"], "checks": [{"kind": "pairwise_less", "pairs": [[arm, "a"]]}]}
    assert draw_variants([where], "quick", ["a", "b", "c"]) == ["a", "b", "c"]  # any run may match


def test_second_draw_runs_use_other_seeds_and_another_training_subset() -> None:
    experiment = load_experiment(REPO / "configs" / "experiments" / "ioffe2015_mnist.yaml")
    draw = "ioffe2015_mnist.draw2"
    runs = second_draw_runs(experiment, "quick", {}, ["bn"], draw, SEED_OFFSET, SUBSET_SEED)
    assert [(r.experiment, r.variant, r.seed) for r in runs] == [
        ("ioffe2015_mnist.draw2", "bn", 800), ("ioffe2015_mnist.draw2", "bn", 801),
        ("ioffe2015_mnist.draw2", "bn", 802)]  # fmt: skip
    # A reported-only arm is redrawn on its own (fewer) seeds, as in the first draw.
    lr1 = second_draw_runs(experiment, "quick", {}, ["bn_lr1"], "x.draw2", SEED_OFFSET, SUBSET_SEED)
    assert [r.seed for r in lr1] == [800]
    assert {r.config.data.subset_seed for r in runs} == {SUBSET_SEED} != {0}
    assert {r.config.experiment for r in runs} == {"ioffe2015_mnist"}  # the same experiment, another draw


def test_the_claims_table_shows_both_draws_and_flags_a_claim_that_held_on_one(tmp_path: Path) -> None:
    first = claims({"A": "reproduced", "B": "reproduced"}).assign(paper="toy")
    first = pd.concat([first, claims({"N": "direction only"}).assign(paper="toy", asserted=False)])
    merged = with_second_draw(first, claims({"A": "reproduced", "B": "inconclusive"}))
    assert list(merged["second_draw"].fillna("")) == ["reproduced", "inconclusive", ""]  # N: not rerun
    merged = merged.assign(measured="m", evidence="e")
    merged.to_csv(tmp_path / "claims.csv", index=False)
    text = claims_tex(tmp_path / "claims.csv", tmp_path / "claims.tex", "quick").read_text()
    assert r"reproduced\newline 2nd draw: reproduced &" in text
    assert r"reproduced\newline 2nd draw: inconclusive $\dagger$" in text
    assert "Held on one draw only: B (reproduced on the first draw only; inconclusive on the second)" in text
