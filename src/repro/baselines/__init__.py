"""Trained floors: a linear classifier fit on exactly the training images a classification claim compares on.

``linear``: the one recipe (multinomial logistic regression, L-BFGS, weight decay 1e-3, 100 iterations).
``training_sets``: an experiment's runs grouped by the images they train on (augmentation aside).
``floor``: the fit of every training set of an experiment, the floor CSV
(results/{scale}/baselines/{experiment}/linear.csv) and its lookups, and the table attribute the
figures and tables read it from.
"""

from repro.baselines.floor import (
    ATTR,
    COLUMNS,
    LABEL,
    attach_floor,
    fit_floor,
    floor_for_variant,
    linear_floor,
    read_floor,
    variants_of,
    write_floor,
)
from repro.baselines.recipe import RECIPE
from repro.baselines.training_sets import TrainingSet, has_floor, training_sets


def __getattr__(name: str) -> object:
    """``fit_linear_classifier`` on first use: importing the package (the floor CSV's readers) skips torch."""
    if name == "fit_linear_classifier":
        from repro.baselines.linear import fit_linear_classifier

        return fit_linear_classifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ATTR",
    "COLUMNS",
    "LABEL",
    "RECIPE",
    "TrainingSet",
    "attach_floor",
    "fit_floor",
    "fit_linear_classifier",
    "floor_for_variant",
    "has_floor",
    "linear_floor",
    "read_floor",
    "training_sets",
    "variants_of",
    "write_floor",
]
