"""An experiment's floor: fit the linear classifier on each of its training sets; the floor CSV.

results/{scale}/baselines/{experiment}/linear.csv has one row per training set, with the columns
``COLUMNS`` in that order. ``variants`` is the space-separated list of the variants that train on the
set; errors are in percent, as the tidy tables' ``error`` metric.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from repro.baselines.recipe import RECIPE
from repro.baselines.training_sets import TrainingSet

COLUMNS = [
    "experiment", "training_set", "variants", "dataset", "requested", "train_subset", "test_subset",
    "subset_seed", "val_size", "normalize", "n_train", "n_test", "train_error", "test_error", "recipe",
    "fit_seconds",
]  # fmt: skip
LABEL = "linear classifier"  # the floor's name in legends and table rows
# Counts read back as integers (a subset that was not set, i.e. all images, as a missing value).
INTEGER_COLUMNS = ["train_subset", "test_subset", "subset_seed", "val_size", "n_train", "n_test"]

log = logging.getLogger(__name__)


def fit_training_set(experiment: str, training_set: TrainingSet, device: str = "cpu") -> dict[str, Any]:
    """One floor row: load the set exactly as its runs do (un-augmented), fit the recipe, test it."""
    import torch  # here, not at the top: figure and table jobs read floors without loading torch

    from repro.baselines.linear import fit_linear_classifier
    from repro.data.prepare import prepare_data

    data = prepare_data(training_set.run_config(), torch.device(device))
    fit = fit_linear_classifier(data.train_x, data.train_y, data.test_x, data.test_y, data.num_classes)
    spec = training_set.data
    return {
        "experiment": experiment,
        "training_set": training_set.id,
        "variants": " ".join(training_set.variants),
        # What was really loaded: the shipped subset when it stood in for the configured dataset.
        "dataset": data.provenance.get("dataset", spec["name"]),
        "requested": spec.get("requested") or spec["name"],
        "train_subset": spec.get("train_subset"),
        "test_subset": spec.get("test_subset"),
        "subset_seed": spec.get("subset_seed", 0),
        "val_size": spec.get("val_size", 0),
        "normalize": spec.get("normalize"),
        "n_train": fit["n_train"],
        "n_test": fit["n_test"],
        "train_error": fit["train_error"],
        "test_error": fit["test_error"],
        "recipe": RECIPE,
        "fit_seconds": round(fit["seconds"], 3),
    }


def fit_floor(
    experiment: str,
    sets: Iterable[TrainingSet],
    device: str = "cpu",
    report: Callable[[str], None] = log.info,
) -> pd.DataFrame:
    """The floor table of ``experiment``: one fitted row per training set, in ``COLUMNS`` order."""
    rows = []
    for training_set in sets:
        row = fit_training_set(experiment, training_set, device)
        report(
            f"{row['training_set']} ({row['variants']}): {row['n_train']} train / {row['n_test']} test "
            f"images, train error {row['train_error']:.2f}%, test error {row['test_error']:.2f}% "
            f"in {row['fit_seconds']:.1f} s"
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def write_floor(floor: pd.DataFrame, out_csv: Path) -> Path:
    """Write the floor CSV atomically (columns in ``COLUMNS`` order; a missing one is an error)."""
    from repro.runio import atomic_write_bytes

    missing = [c for c in COLUMNS if c not in floor.columns]
    if missing:
        raise ValueError(f"floor table lacks columns {missing}; expected {COLUMNS}")
    atomic_write_bytes(Path(out_csv), floor[COLUMNS].to_csv(index=False).encode())
    return Path(out_csv)


def read_floor(path: Path) -> pd.DataFrame:
    """A floor CSV; subsets that were not set (all images) read as missing values."""
    floor = pd.read_csv(path, dtype={"variants": str, "training_set": str, "experiment": str})
    if list(floor.columns) != COLUMNS:
        raise ValueError(f"{path} has columns {list(floor.columns)}; expected {COLUMNS}")
    floor["variants"] = floor["variants"].fillna("")
    for column in INTEGER_COLUMNS:
        floor[column] = floor[column].astype("Int64")
    return floor


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: missing (NaN, NA) -> None, numpy scalars -> int/float."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def records(floor: pd.DataFrame) -> list[dict[str, Any]]:
    """The floor's rows as dicts of plain values (missing cells None)."""
    return [{k: _plain(v) for k, v in row.items()} for row in floor.to_dict("records")]


def variants_of(row: Any) -> list[str]:
    """The variant names a floor row covers."""
    return str(row["variants"]).split()


def floor_for_variant(floor: pd.DataFrame | None, variant: str) -> dict[str, Any] | None:
    """The floor row (as a dict) of the training set ``variant`` trains on; None if no row covers it."""
    if floor is None or floor.empty:
        return None
    return next((row for row in records(floor) if variant in variants_of(row)), None)


ATTR = "linear_floor"  # the key in a tidy table's ``attrs`` under which the exhibits find the floor


def attach_floor(table: pd.DataFrame, floor: pd.DataFrame | None) -> pd.DataFrame:
    """Attach ``floor`` to ``table.attrs['linear_floor']`` (in place; returned) for the plug-ins to draw.

    It is stored as a list of row dicts, not a DataFrame: pandas compares the attrs of the frames it
    concatenates or merges with ``==``, which a DataFrame cannot answer, so a frame there would break
    every merge of two slices of the table. :func:`linear_floor` gives it back as a DataFrame.
    """
    if floor is None:
        table.attrs.pop(ATTR, None)
        return table
    table.attrs[ATTR] = records(floor[COLUMNS])
    return table


def linear_floor(table: pd.DataFrame) -> pd.DataFrame | None:
    """The floor attached to a tidy table (see :func:`attach_floor`), or None when it has none."""
    rows = table.attrs.get(ATTR) if table is not None else None
    if rows is None:
        return None
    if isinstance(rows, pd.DataFrame):  # attached by hand as a frame: accept it as it is
        return rows
    floor = pd.DataFrame(list(rows), columns=COLUMNS)
    for column in INTEGER_COLUMNS:
        floor[column] = floor[column].astype("Int64")
    return floor
