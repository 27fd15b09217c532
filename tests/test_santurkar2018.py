"""Santurkar et al. 2018: experiment files, figures and tables on a synthetic table, claims, smoke DAG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from repro.claims import ORDER, evaluate_claims
from repro.experiments import load_experiment
from repro.papers import all_figures, find
from repro.report import make_table

from .conftest import REPO
from .figure_data import draw, series

EXPERIMENTS = REPO / "configs" / "experiments"
VGG = {"nobn": "none", "bn": "batch", "noisy_bn": "noisy_batch", "nobn_noise": "noise",
       "nobn_lr0.5": "none", "bn_lr0.5": "batch",
       "lp1": "lp_batch", "lp2": "lp_batch", "lpinf": "lp_batch"}  # fmt: skip
DLN = {"nobn": "none", "bn": "batch", "nobn_lr1e-7": "none", "bn_lr1e-7": "batch",
       "lp1": "lp_batch", "lp2": "lp_batch", "lpinf": "lp_batch"}  # fmt: skip


def synthetic_test_error(norm: str, bn: bool, seed: int, step: int) -> float:
    """Synthetic error before the 90% cap: BN falls 8x faster; added noise keeps the error high."""
    return 90 * np.exp(-step / (50 if bn else 400)) + 0.5 * seed + (80 if norm == "noise" else 5)


def synthetic(experiment: str, arms: dict[str, str], steps: list[int]) -> pd.DataFrame:
    """A tidy table shaped like repro.tables' output: BN trains faster and is smoother, with more ICS."""
    rows = []
    for variant, norm in arms.items():
        bn = norm in ("batch", "noisy_batch", "lp_batch")
        for seed in (0, 1, 2):
            meta = {"experiment": experiment, "variant": variant, "seed": seed, "status": "completed",
                    "model.norm": norm, "model.name": "vgg"}  # fmt: skip
            for step in steps[1:]:
                error = synthetic_test_error(norm, bn, seed, step)
                for split in ("train", "test"):
                    rows.append({**meta, "source": "metrics", "step": step, "split": split, "metric": "error",
                                 "value": min(error, 90.0)})  # fmt: skip
                rows.append({**meta, "source": "metrics", "step": step, "split": "train", "metric": "loss",
                             "value": error / 30})  # fmt: skip
            for step in steps:
                scale = 1.0 if bn else 10.0
                for metric, value in (("loss_min", 1.0), ("loss_max", 1.0 + scale), ("loss_range", scale),
                                      ("grad_change_min", scale), ("grad_change_max", 3 * scale),
                                      ("beta_smoothness", 4 * scale + seed)):  # fmt: skip
                    rows.append(
                        {**meta, "source": "landscape", "step": step, "metric": metric, "value": value}
                    )
                for layer in (5, 10):
                    for metric, value in (("ics_l2", 2.0 if bn else 0.1), ("ics_cos", 0.3 if bn else 0.99)):
                        rows.append({**meta, "source": "ics", "step": step, "layer": layer, "metric": metric,
                                     "value": value + 0.01 * seed})  # fmt: skip
                for unit in (0, 1, -1):
                    shift = 0.4 * np.sin(step) if norm == "noisy_batch" else 0.0
                    for q in (5.0, 15.0, 25.0, 50.0, 75.0, 85.0, 95.0):
                        rows.append({**meta, "source": "activations", "step": step, "unit": unit, "q": q,
                                     "metric": "activation", "value": (q - 50) / 30 + shift})  # fmt: skip
    return pd.DataFrame(rows)


def test_experiment_files_expand_at_every_scale() -> None:
    for name, arms in (("santurkar2018_vgg", VGG), ("santurkar2018_dln", DLN)):
        experiment = load_experiment(EXPERIMENTS / f"{name}.yaml")
        assert set(experiment.variants) == set(arms)
        quick_seeds = [300, 301, 302] if name == "santurkar2018_vgg" else [0, 1, 2]  # vgg asserts at quick
        quick = experiment.variant_names("quick", extras=True)  # the default run's arms, then the extras
        assert sorted(quick) == sorted(arms) and experiment.seeds("quick") == quick_seeds
        assert set(experiment.variant_names("quick")) >= set(experiment.asserted_variants("quick"))
        assert len(experiment.variant_names("smoke")) < len(arms) and experiment.seeds("smoke") == [0]
    assert find("santurkar2018").variant_label("noisy_bn") == "noisy BN"
    assert find("santurkar2018").variant_label("bn", {"model.name": "linear_deep"}) == "BN, lr 1e-6"


@pytest.mark.parametrize("name", [n for n in all_figures() if n.startswith("santurkar2018")])
def test_figures_render_and_mark_missing_runs(tmp_path: Path, name: str) -> None:
    arms, steps = (DLN, [0, 100, 200, 300]) if "_dln_" in name else (VGG, [0, 25, 50, 75, 100])
    table = synthetic(name, arms, steps)
    all_figures()[name](table, tmp_path / f"{name}.pdf")
    assert (tmp_path / f"{name}.png").stat().st_size > 5000
    all_figures()[name](table.iloc[0:0], tmp_path / "empty.pdf")  # no runs: a placeholder, not a crash
    assert (tmp_path / "empty.png").exists()


def test_measures_tables_and_claims_on_a_synthetic_table(tmp_path: Path) -> None:
    for name, arms, steps in (("santurkar2018_vgg", VGG, [0, 25, 50, 75, 100]),
                              ("santurkar2018_dln", DLN, [0, 100, 200, 300])):  # fmt: skip
        experiment = load_experiment(EXPERIMENTS / f"{name}.yaml").raw
        csv = tmp_path / f"{name}.csv"
        synthetic(name, arms, steps).to_csv(csv, index=False)
        table = f"{name}_measures"
        tex = make_table(table, csv, experiment, tmp_path / f"{table}.tex").read_text()
        rows = {line.split(" & ")[0]: line.split(" & ") for line in tex.splitlines() if " & " in line}
        assert rows["standard" if name.endswith("vgg") else "standard, lr 1e-6"][2] == "10.0 (0)"
        claims = evaluate_claims(experiment, pd.read_csv(csv), "quick")
        assert set(claims["result"]) <= set(ORDER) and len(claims) == len(experiment["claims"])
        assert (claims.loc[claims["id"].str.startswith(("S5", "S6")), "result"] == "reproduced").all()


def test_vgg_accuracy_plots_100_minus_the_mean_test_error_per_arm(tmp_path: Path) -> None:
    steps = [0, 25, 50, 75, 100]
    table = synthetic("santurkar2018_vgg", VGG, steps)
    left, right = draw(all_figures()["santurkar2018_vgg_accuracy"], table, tmp_path / "accuracy.pdf").axes
    labels = find("santurkar2018").variant_label
    for ax, arms in (
        (left, ["nobn", "bn", "noisy_bn", "nobn_noise"]),
        (right, ["nobn", "bn", "nobn_lr0.5", "bn_lr0.5"]),
    ):
        drawn = series(ax)
        assert set(drawn) == {f"{labels(v)} (n=3)" for v in arms}
        for variant in arms:
            bn = VGG[variant] in ("batch", "noisy_batch", "lp_batch")
            x, y = drawn[f"{labels(variant)} (n=3)"]
            assert np.array_equal(x, steps[1:])
            errors = [
                [min(synthetic_test_error(VGG[variant], bn, seed, step), 90.0) for seed in (0, 1, 2)]
                for step in steps[1:]
            ]
            np.testing.assert_allclose(y, 100.0 - np.mean(errors, axis=1), err_msg=variant)
