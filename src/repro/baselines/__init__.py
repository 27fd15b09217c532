"""Trained floors: a linear classifier fit on exactly the training images a classification claim compares on.

``linear``: the one recipe (multinomial logistic regression, L-BFGS, weight decay 1e-3, 100 iterations);
imported from ``repro.baselines.linear`` where a floor is fit, so that the floor CSV's readers (figures,
tables, the report) never load torch. ``recipe``: its constants and one-line description.
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

__all__ = [
    "ATTR",
    "COLUMNS",
    "LABEL",
    "RECIPE",
    "TrainingSet",
    "attach_floor",
    "fit_floor",
    "floor_for_variant",
    "has_floor",
    "linear_floor",
    "read_floor",
    "training_sets",
    "variants_of",
    "write_floor",
]
