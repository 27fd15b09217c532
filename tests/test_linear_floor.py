"""The trained floor: the linear classifier's recipe, training sets from runs, the floor CSV, the exhibits."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch

from repro.baselines import (
    COLUMNS,
    RECIPE,
    TrainingSet,
    attach_floor,
    fit_floor,
    floor_for_variant,
    linear_floor,
    read_floor,
    training_sets,
    write_floor,
)
from repro.baselines.linear import fit_linear_classifier
from repro.config import DataConfig, RunConfig
from repro.data.formats import read_idx_pair
from repro.data.tensors import per_pixel_mean, take_subset
from repro.experiments import Experiment, Run
from repro.figures import make_figure
from repro.figures.common import FLOOR_LABEL, draw_floor
from repro.figures.style import new_figure
from repro.papers import find
from repro.paths import floor_path
from repro.report.floor import FLOOR_ROW, floor_value

from .test_figures_report import he_experiment, synthetic_table


def blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three classes far apart in 20 dimensions, shaped as (N, 1, 4, 5) images: linearly separable."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 3
    centres = torch.eye(3, 20) * 6.0
    return (centres[y] + torch.randn(n, 20, generator=g)).reshape(n, 1, 4, 5), y


def test_linear_classifier_separates_linearly_separable_data() -> None:
    (train_x, train_y), (test_x, test_y) = blobs(300, 0), blobs(150, 1)
    fit = fit_linear_classifier(train_x, train_y, test_x, test_y, num_classes=3)
    assert fit["train_error"] == 0.0 and fit["test_error"] < 1.0
    assert (fit["n_train"], fit["n_test"]) == (300, 150)
    assert fit["iterations"] > 0 and fit["seconds"] > 0
    again = fit_linear_classifier(train_x, train_y, test_x, test_y, num_classes=3)
    assert again["loss"] == fit["loss"]  # fixed init at zero, full batch: deterministic


def shipped_subset() -> tuple[torch.Tensor, ...]:
    """The shipped Fashion-MNIST fallback (10k train, 2k test images) as float tensors in [0, 1]."""
    folder = resources.files("repro").joinpath("package_data", "fashion_mnist_subset")
    out = []
    for prefix in ("train", "t10k"):
        x, y = read_idx_pair(
            folder / f"{prefix}-images-idx3-ubyte.gz", folder / f"{prefix}-labels-idx1-ubyte.gz", 10
        )
        out += [torch.from_numpy(x.copy()).float() / 255.0, torch.from_numpy(y.copy())]
    return tuple(out)


def test_linear_classifier_on_real_images_errs_as_a_linear_model_does() -> None:
    train_x, train_y, test_x, test_y = shipped_subset()
    train_x, train_y = take_subset(train_x, train_y, 1000, 0)
    mean = per_pixel_mean(train_x)
    fit = fit_linear_classifier(train_x - mean, train_y, test_x - mean, test_y, num_classes=10)
    # The spec's measure: 20.9% test error for 1k Fashion-MNIST training images.
    assert 10.0 < fit["test_error"] < 30.0
    assert fit["train_error"] < fit["test_error"]
    assert fit["iterations"] == 100


def run(variant: str, seed: int = 0, scale: str = "quick", **data: object) -> Run:
    config = RunConfig(experiment="exp", variant=variant, seed=seed, scale=scale)
    config = dataclasses.replace(config, data=DataConfig(name="tiny", requested="tiny", **data))
    return Run("exp", variant, seed, scale, config)


def experiment(kind: str = "linear_classifier") -> Experiment:
    return Experiment("exp", Path("exp.yaml"), {"floor": {"kind": kind, "why": "no classes"}})


def test_training_sets_group_runs_by_their_images_not_their_augmentation() -> None:
    runs = [
        run("small", train_subset=100), run("small", seed=1, train_subset=100),
        run("small_noaug", train_subset=100, pad=0, flip=False),
        run("large", train_subset=500), run("large", seed=1, train_subset=500, pad=2),
    ]  # fmt: skip
    sets = training_sets(experiment(), "quick", runs)
    assert [s.variants for s in sets] == [("small", "small_noaug"), ("large",)]
    assert [s.id for s in sets] == ["tiny_train100_testall_seed0", "tiny_train500_testall_seed0"]
    assert sets[0].data["train_subset"] == 100 and "pad" not in sets[0].data
    # The robustness draw's other subset, a validation split, a test subset: other sets, readable ids.
    others = [run("a", subset_seed=1), run("b", val_size=50, test_subset=20)]
    other = training_sets(experiment(), "quick", others)
    assert [s.id for s in other] == ["tiny_trainall_testall_seed1", "tiny_trainall_test20_seed0_val50"]
    # Round trip through the rule's params.
    assert TrainingSet.from_params(sets[1].to_params()) == sets[1]
    assert training_sets(experiment("none"), "quick", runs) == []
    with pytest.raises(ValueError, match="scale"):
        training_sets(experiment(), "full", runs)


def test_fit_floor_uses_exactly_the_runs_images(tiny_data_root: Path, tmp_path: Path) -> None:
    # The tiny dataset has 256 training and 64 test images: a subset, a validation split and a test subset.
    runs = [run("a", train_subset=200, val_size=50, test_subset=32), run("b", normalize="none")]
    runs = [dataclasses.replace(r, config=_rooted(r.config, tiny_data_root)) for r in runs]
    sets = training_sets(experiment(), "quick", runs)
    floor = fit_floor("exp", sets)
    assert list(floor.columns) == COLUMNS
    assert floor[["n_train", "n_test"]].values.tolist() == [[150, 32], [256, 64]]
    assert (floor["test_error"] < 10).all()  # the two classes differ in brightness: a linear cut
    assert set(floor["recipe"]) == {RECIPE} and "100 iterations" in RECIPE
    out = write_floor(floor, floor_path("quick", "exp", tmp_path))
    assert out == tmp_path / "quick" / "baselines" / "exp" / "linear.csv"
    back = read_floor(out)
    pd.testing.assert_frame_equal(back, floor, check_dtype=False)
    row = floor_for_variant(back, "b")
    assert row["training_set"] == "tiny_trainall_testall_seed0_nonorm" and row["train_subset"] is None
    assert floor_for_variant(back, "a")["val_size"] == 50
    assert floor_for_variant(back, "c") is None and floor_for_variant(None, "a") is None
    with pytest.raises(ValueError, match="columns"):
        write_floor(floor.drop(columns=["recipe"]), tmp_path / "bad.csv")


def _rooted(config: RunConfig, root: Path) -> RunConfig:
    return dataclasses.replace(config, data=dataclasses.replace(config.data, root=str(root)))


def floor_table(variants: list[str], errors: list[float], subsets: list[int | None]) -> pd.DataFrame:
    """A floor CSV's rows: one training set per (variants, test error, train_subset)."""
    rows = []
    for names, error, subset in zip(variants, errors, subsets, strict=True):
        rows.append({
            "experiment": "exp", "training_set": f"set{subset}", "variants": names, "dataset": "tiny",
            "requested": "tiny", "train_subset": subset, "test_subset": None, "subset_seed": 0,
            "val_size": 0, "normalize": "none", "n_train": subset or 1000, "n_test": 100,
            "train_error": error / 2, "test_error": error, "recipe": RECIPE, "fit_seconds": 0.1,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


def test_the_floor_rides_on_the_table_through_merges_and_concats() -> None:
    table = pd.DataFrame({"variant": ["a", "b", "a"], "value": [1.0, 2.0, 3.0]})
    attach_floor(table, floor_table(["a b"], [12.5], [None]))
    left, right = table[table["variant"] == "a"], table[table["variant"] == "b"]
    # pandas compares the attrs of merged frames with ==: a DataFrame there would raise.
    assert linear_floor(left.merge(right, on="variant", how="outer"))["test_error"].tolist() == [12.5]
    assert linear_floor(pd.concat([left, right]))["variants"].tolist() == ["a b"]
    assert floor_value(table) == 12.5 and floor_value(table, ["b"], accuracy=True) == 87.5
    assert linear_floor(attach_floor(table, None)) is None and floor_value(table) is None


def test_draw_floor_lines_accuracy_and_a_sweep_over_training_set_size() -> None:
    table = attach_floor(pd.DataFrame(), floor_table(["a", "b"], [20.0, 10.0], [100, 1000]))
    fig, (ax1, ax2, ax3) = new_figure(6, 2, 1, 3)
    assert draw_floor(ax1, table, variants=["b"]) == [10.0]
    (line,) = ax1.get_lines()
    assert line.get_label() == FLOOR_LABEL and list(line.get_ydata()) == [10.0, 10.0]
    assert draw_floor(ax2, table, accuracy=True, variants=["a"]) == [80.0]
    assert draw_floor(ax3, table, by="train_subset") == [20.0, 10.0]
    assert list(ax3.get_lines()[0].get_xdata()) == [100.0, 1000.0]
    assert draw_floor(ax1, pd.DataFrame()) == [] and draw_floor(ax1, table, variants=["c"]) == []
    plt.close(fig)


def test_figures_and_tables_build_with_and_without_a_floor(tmp_path: Path) -> None:
    table = synthetic_table()
    csv = tmp_path / "table.csv"
    table.to_csv(csv, index=False)
    variants = " ".join(sorted(set(table["variant"])))
    floor_csv = write_floor(floor_table([variants], [30.0], [None]), tmp_path / "linear.csv")
    plain, floored = tmp_path / "plain.pdf", tmp_path / "floored.pdf"
    make_figure("he2016_training_curves", csv, plain)
    make_figure("he2016_training_curves", csv, floored, floor_csv=floor_csv)
    assert plain.with_suffix(".png").read_bytes() != floored.with_suffix(".png").read_bytes()
    table6 = find("he2016").tables["he2016_table6"]
    without = table6(table, he_experiment(), tmp_path / "t6.tex").read_text()
    attach_floor(table, read_floor(floor_csv))
    with_floor = table6(table, he_experiment(), tmp_path / "t6f.tex").read_text()
    assert FLOOR_ROW not in without
    row = next(line for line in with_floor.splitlines() if line.startswith(FLOOR_ROW))
    assert row.split(" & ")[3] == "30.00"
    assert np.isclose(floor_value(table, ["resnet20"]), 30.0)


def dropout_table() -> pd.DataFrame:
    """A Srivastava-style tidy table: two training-set sizes, dropout on and off, MC-dropout rows."""
    rows = []
    for subset in (100, 1000):
        for keep in (0.5, 1.0):
            variant = f"n{subset}_p{keep}"
            columns = {"model.hidden": "[64, 64]", "model.keep_hidden": keep, "data.train_subset": subset}
            for seed in (0, 1):
                meta = {
                    "experiment": "exp",
                    "variant": variant,
                    "seed": seed,
                    "status": "completed",
                    **columns,
                }
                final = 4.0 + 2000 / subset - (1.0 if keep < 1 else 0.0) + 0.1 * seed
                for step in range(10, 101, 10):
                    rows.append({**meta, "source": "metrics", "step": step, "split": "test",
                                 "metric": "error", "value": final + 50 / step})  # fmt: skip
                rows.append({**meta, "source": "eval_error", "step": 100, "split": "train", "metric": "error",
                             "value": final / 2})  # fmt: skip
                for k in (1, 10, 100):
                    rows.append({**meta, "source": "mc_dropout", "step": 100, "metric": "error",
                                 "method": "mc", "k": k, "value": final + 1 / k})  # fmt: skip
                rows.append({**meta, "source": "mc_dropout", "step": 100, "metric": "error",
                             "method": "weight_scaling", "k": 0, "value": final})  # fmt: skip
    return pd.DataFrame(rows)


def paper_table(paper: str) -> pd.DataFrame:
    """A synthetic tidy table of ``paper``, from its own tests where they build one."""
    if paper == "he2016":
        return synthetic_table()
    if paper == "ioffe2015":
        from .test_ioffe2015_report import mnist_table

        return mnist_table()
    if paper == "santurkar2018":
        from .test_santurkar2018 import VGG, synthetic

        return synthetic("santurkar2018_vgg", VGG, [0, 25, 50, 100, 200])
    if paper == "wu2018":
        from .test_wu2018 import synthetic_table as wu_table

        return wu_table()
    return dropout_table()


def floor_of(table: pd.DataFrame) -> pd.DataFrame:
    """A floor with one training set per data.train_subset the table's variants use (one if none)."""
    by = "data.train_subset"
    groups = table.groupby(by)["variant"] if by in table else [(None, table["variant"])]
    sets = [(" ".join(sorted(set(v))), None if s is None else int(s)) for s, v in groups]
    return floor_table([v for v, _ in sets], [25.0 + i for i in range(len(sets))], [s for _, s in sets])


# The classification exhibits of each paper with a floor (not the autoencoder's, not the deep linear net's).
EXHIBITS = {
    "he2016": (["he2016_training_curves"], ["he2016_table6"]),
    "ioffe2015": (["ioffe2015_mnist_accuracy", "ioffe2015_ablation_curves"], ["ioffe2015_fig3"]),
    "santurkar2018": (["santurkar2018_vgg_accuracy", "santurkar2018_vgg_lp"], []),
    "wu2018": (
        ["wu2018_batch_size", "wu2018_norm_curves"],
        ["wu2018_table1", "wu2018_table2", "wu2018_table3"],
    ),
    "srivastava2014": (
        ["srivastava2014_fig4", "srivastava2014_fig9a", "srivastava2014_fig10", "srivastava2014_fig11"],
        ["srivastava2014_table2"],
    ),
}


@pytest.mark.parametrize("paper", sorted(EXHIBITS))
def test_every_classification_exhibit_shows_the_floor(tmp_path: Path, paper: str) -> None:
    figures, tables = EXHIBITS[paper]
    plugin = find(paper)
    table = paper_table(paper)
    for name in figures:
        plain, floored = tmp_path / f"{name}.pdf", tmp_path / f"{name}_floor.pdf"
        plugin.figures[name](table, plain)
        plugin.figures[name](attach_floor(table.copy(), floor_of(table)), floored)
        assert plain.with_suffix(".png").read_bytes() != floored.with_suffix(".png").read_bytes(), name
    for name in tables:
        without = plugin.tables[name](table, {}, tmp_path / f"{name}.tex").read_text()
        text = plugin.tables[name](attach_floor(table.copy(), floor_of(table)), {}, tmp_path / "f.tex")
        assert FLOOR_ROW not in without and FLOOR_ROW in text.read_text(), name
        row = next(line for line in text.read_text().splitlines() if line.startswith(FLOOR_ROW))
        assert "25.00" in row or "75.00" in row, row  # the floor's test error (or accuracy)
