"""Srivastava et al. 2014: the seven figures and three tables on synthetic tidy tables, read back by value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from repro import paths
from repro.papers import find
from repro.probes.artifacts import write_artifacts
from repro.probes.filters import image_grid

from .figure_data import draw, has_data, is_placeholder, series

PAPER = find("srivastava2014")
SEEDS = (0, 1)
STEPS = np.arange(0, 1001, 250)
MLP = {"model.hidden": "[512, 512]", "model.keep_input": 1.0}


def final_error(base: float, seed: int) -> float:
    """A run's final test error: its arm's ``base`` plus 0.2 per seed (means and sds away from a .005 tie)."""
    return base + 0.2 * seed


def error_at(base: float, seed: int, step: int) -> float:
    """Test error falling linearly from 10 points above the final error to it."""
    return final_error(base, seed) + 10.0 * (1 - step / STEPS[-1])


def runs_table(arms: dict[str, tuple[float, dict]], experiment: str = "srivastava2014_x") -> pd.DataFrame:
    """Metric rows of every arm (variant -> (base error, config columns)) and seed: a test-error curve and
    the test-time net's training error (probe eval_error) at half the test error."""
    rows = []
    for variant, (base, columns) in arms.items():
        for seed in SEEDS:
            meta = {
                "experiment": experiment,
                "variant": variant,
                "seed": seed,
                "status": "completed",
                **columns,
            }
            for step in STEPS:
                point = {**meta, "step": int(step), "metric": "error"}
                rows.append(
                    {**point, "source": "metrics", "split": "test", "value": error_at(base, seed, step)}
                )
                rows.append(
                    {
                        **point,
                        "source": "eval_error",
                        "split": "train",
                        "value": error_at(base, seed, step) / 2,
                    }
                )
    return pd.DataFrame(rows)


def mean_final(base: float) -> float:
    """Mean over SEEDS of an arm's final test error."""
    return float(np.mean([final_error(base, s) for s in SEEDS]))


def test_fig4_plots_each_nets_mean_test_curve_dropout_solid(tmp_path: Path) -> None:
    arms = {"h2x512_plain": (2.0, {**MLP, "model.keep_hidden": 1.0}),
            "h2x512_drop": (1.5, {**MLP, "model.keep_hidden": 0.5})}  # fmt: skip
    (ax,) = draw(PAPER.figures["srivastava2014_fig4"], runs_table(arms), tmp_path / "fig4.pdf").axes
    drawn = series(ax)
    assert set(drawn) == {"2x512, no dropout (n=2)", "2x512, dropout (n=2)"}
    for label, base in (("2x512, no dropout (n=2)", 2.0), ("2x512, dropout (n=2)", 1.5)):
        x, y = drawn[label]
        assert np.array_equal(x, STEPS)
        np.testing.assert_allclose(y, [np.mean([error_at(base, s, t) for s in SEEDS]) for t in STEPS])
    styles = {line.get_label(): line.get_linestyle() for line in ax.lines}
    assert styles["2x512, dropout (n=2)"] == "-" and styles["2x512, no dropout (n=2)"] == "--"


@pytest.mark.parametrize(
    ("name", "title"), [("srivastava2014_fig9a", "n fixed"), ("srivastava2014_fig9b", "pn fixed")]
)
def test_fig9_plots_final_errors_against_the_keep_probability(tmp_path: Path, name: str, title: str) -> None:
    bases = {0.2: 6.0, 0.5: 2.0, 1.0: 3.0}
    arms = {f"keep_p{p}": (base, {**MLP, "model.keep_hidden": p}) for p, base in bases.items()}
    (ax,) = draw(PAPER.figures[name], runs_table(arms), tmp_path / f"{name}.pdf").axes
    assert ax.get_title() == title
    drawn = series(ax)
    x, y = drawn["test error (n=2)"]
    assert np.array_equal(x, list(bases))
    np.testing.assert_allclose(y, [mean_final(b) for b in bases.values()])
    x, y = drawn["training error (n=2)"]
    assert np.array_equal(x, list(bases))
    np.testing.assert_allclose(y, [mean_final(b) / 2 for b in bases.values()])


def test_fig10_plots_final_error_against_training_set_size_with_and_without_dropout(tmp_path: Path) -> None:
    sizes = (100, 1000, 5000)
    arms = {}
    for n in sizes:
        arms[f"n{n}_plain"] = (50.0 / np.log10(n), {**MLP, "model.keep_hidden": 1.0, "data.train_subset": n})
        arms[f"n{n}_drop"] = (40.0 / np.log10(n), {**MLP, "model.keep_hidden": 0.5, "data.train_subset": n})
    (ax,) = draw(PAPER.figures["srivastava2014_fig10"], runs_table(arms), tmp_path / "fig10.pdf").axes
    drawn = series(ax)
    assert ax.get_xscale() == "log"
    for label, scale in (("no dropout (n=2)", 50.0), ("dropout (n=2)", 40.0)):
        x, y = drawn[label]
        assert np.array_equal(x, sizes)
        np.testing.assert_allclose(y, [mean_final(scale / np.log10(n)) for n in sizes])


def mc_table() -> pd.DataFrame:
    """mc_dropout probe rows of one dropout net: error of k averaged nets (two repeats) and weight scaling."""
    meta = {"experiment": "srivastava2014_x", "variant": "h2x512_drop", "status": "completed", **MLP,
            "model.keep_hidden": 0.5, "source": "mc_dropout", "metric": "error", "step": 1000}  # fmt: skip
    rows = []
    for seed in SEEDS:
        for k in (1, 10, 100):
            for repeat in (0, 1):
                value = 2.0 + 1.0 / k + 0.1 * seed + 0.02 * repeat
                rows.append({**meta, "seed": seed, "method": "mc", "k": k, "repeat": repeat, "value": value})
        rows.append({**meta, "seed": seed, "method": "weight_scaling", "value": 2.2 + 0.1 * seed})
    return pd.DataFrame(rows)


def test_fig11_plots_mc_averaging_against_k_and_weight_scaling(tmp_path: Path) -> None:
    (ax,) = draw(PAPER.figures["srivastava2014_fig11"], mc_table(), tmp_path / "fig11.pdf").axes
    drawn = series(ax)
    x, y = drawn["MC averaging, 2x512, dropout (n=2 seeds)"]
    assert np.array_equal(x, [1, 10, 100])
    # Mean over seeds (0.05 on average) and repeats (0.01 on average).
    np.testing.assert_allclose(y, [2.0 + 1.0 / k + 0.05 + 0.01 for k in (1, 10, 100)])
    _, y = drawn["weight scaling, 2x512, dropout"]
    np.testing.assert_allclose(y, [2.25, 2.25])


AUTOENCODER = {"ae_plain": 1.0, "ae_drop": 0.5}


def autoencoder_table(results: Path) -> pd.DataFrame:
    """Activation histograms of the two autoencoders, and their filter images at steps 10 and 20 on disk."""
    rows = []
    for variant, keep in AUTOENCODER.items():
        for seed in SEEDS:
            meta = {"experiment": "srivastava2014_sparsity", "variant": variant, "seed": seed,
                    "status": "completed", "model.hidden": 256, "model.keep_hidden": keep,
                    "source": "activation_stats", "step": 20}  # fmt: skip
            for metric in ("unit_mean_hist", "activation_hist"):
                for b in range(4):
                    value = (0.7 if b == 0 else 0.1) if keep < 1 else 0.25
                    edges = {"bin": b, "bin_lo": 0.5 * b, "bin_hi": 0.5 * (b + 1)}
                    rows.append({**meta, **edges, "metric": metric, "value": value + 0.01 * seed})
            run = paths.run_dir("quick", "srivastava2014_sparsity", variant, seed, results)
            for step in (10, 20):
                write_artifacts(run, "filters", step, {"filters.npy": filters(variant, seed, step)})
    return pd.DataFrame(rows)


def filters(variant: str, seed: int, step: int) -> np.ndarray:
    """Distinct filter images per run and step (70 of them: the figure shows the first 64)."""
    generator = np.random.default_rng([list(AUTOENCODER).index(variant), seed, step])
    return generator.random((70, 28, 28), dtype=np.float32)


def test_fig7_shows_the_last_filters_of_seed_0_without_then_with_dropout(tmp_path: Path) -> None:
    results = tmp_path / "results"
    table = autoencoder_table(results)
    out = results / "quick" / "figures" / "srivastava2014_fig7.pdf"
    left, right = draw(PAPER.figures["srivastava2014_fig7"], table, out).axes
    for ax, variant, label in (
        (left, "ae_plain", "autoencoder, no dropout"),
        (right, "ae_drop", "autoencoder, dropout (p = 0.5)"),
    ):
        assert ax.get_title() == f"{label}, seed 0"
        (image,) = ax.images
        expected = image_grid(torch.from_numpy(filters(variant, 0, 20)[:64])).numpy()
        np.testing.assert_array_equal(image.get_array(), expected)
    missing = draw(
        PAPER.figures["srivastava2014_fig7"], table, tmp_path / "elsewhere" / "quick" / "figures" / "f.pdf"
    )
    assert all(is_placeholder(ax) for ax in missing.axes)  # no run directories beside this figure


def test_fig8_plots_the_mean_histograms_over_seeds(tmp_path: Path) -> None:
    table = autoencoder_table(tmp_path / "results")
    fig = draw(PAPER.figures["srivastava2014_fig8"], table, tmp_path / "fig8.pdf")
    for ax in fig.axes:
        steps = {patch.get_label(): patch.get_data() for patch in ax.patches}
        assert set(steps) == {"autoencoder, no dropout (n=2)", "autoencoder, dropout (p = 0.5) (n=2)"}
        plain, drop = steps["autoencoder, no dropout (n=2)"], steps["autoencoder, dropout (p = 0.5) (n=2)"]
        np.testing.assert_allclose(plain.edges, [0.0, 0.5, 1.0, 1.5, 2.0])
        np.testing.assert_allclose(plain.values, [0.255] * 4)
        np.testing.assert_allclose(drop.values, [0.705, 0.105, 0.105, 0.105])
        assert ax.get_yscale() == "log"


def table_rows(text: str) -> dict[str, list[str]]:
    """The body rows of a generated tabular: first cell -> cells (the last without its line end)."""
    rows = [line.removesuffix(r" \\").split(" & ") for line in text.splitlines() if " & " in line]
    return {cells[0]: cells for cells in rows}


@pytest.mark.parametrize(
    ("name", "ran", "paper_only"),
    [
        ("srivastava2014_table2", {"h2x512_drop": (1.5, 0.5), "h2x512_plain": (2.0, 1.0)}, "h3x1024_drop"),
        ("srivastava2014_table4", {"cnn_alldrop": (12.0, 0.5), "cnn_nodrop": (16.0, 1.0)}, "cnn_fcdrop"),
        ("srivastava2014_table9", {"reg_drop_maxnorm": (1.1, 0.5), "reg_none": (1.9, 1.0)}, "reg_l2"),
    ],
)
def test_tables_set_our_mean_error_beside_the_papers(
    tmp_path: Path, name: str, ran: dict[str, tuple[float, float]], paper_only: str
) -> None:
    key = name.removeprefix("srivastava2014_")
    favoured = next(iter(ran))
    # The paper tabulates the favoured arm and a net this build did not run (known from the experiment
    # file's variants); the other arm ran only here.
    not_run = {"model.hidden": [1024, 1024, 1024], "model.keep_hidden": 0.5}
    experiment = {
        "variants": {paper_only: {"model": {"hidden": not_run["model.hidden"], "keep_hidden": 0.5}}},
        "reference": {key: {favoured: 1.23, paper_only: 4.56}},
    }
    arms = {v: (base, {**MLP, "model.keep_hidden": keep}) for v, (base, keep) in ran.items()}
    table = runs_table(arms)
    table.loc[(table["variant"] == favoured) & (table["seed"] == 1), "status"] = "diverged"
    text = PAPER.tables[name](table, experiment, tmp_path / f"{name}.tex").read_text()
    rows = table_rows(text)
    labels = {v: PAPER.variant_label(v, arms[v][1]) for v in ran}
    labels[paper_only] = PAPER.variant_label(paper_only, not_run)
    assert list(rows)[1:] == [
        labels[favoured],
        labels[paper_only],
        *[labels[v] for v in ran if v != favoured],
    ]
    first, second = ran.values()
    assert rows[labels[favoured]][1:] == [f"{final_error(first[0], 0):.2f} (n=1, 1 diverged)", "1.23"]
    assert rows[labels[paper_only]][1:] == ["not run", "4.56"]
    other = labels[list(ran)[1]]
    errors = [final_error(second[0], s) for s in SEEDS]
    assert rows[other][1:] == [f"{np.mean(errors):.2f} $\\pm$ {np.std(errors, ddof=1):.2f} (n=2)", "--"]


def test_every_figure_marks_an_empty_table_as_no_runs(tmp_path: Path) -> None:
    assert len(PAPER.figures) == 7 and len(PAPER.tables) == 3
    for name, function in PAPER.figures.items():
        fig = draw(function, pd.DataFrame(), tmp_path / "results" / "quick" / "figures" / f"{name}.pdf")
        assert fig.axes and not any(has_data(ax) for ax in fig.axes), name
        assert all(is_placeholder(ax) for ax in fig.axes), name
