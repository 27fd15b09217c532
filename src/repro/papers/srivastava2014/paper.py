"""The Srivastava et al. 2014 paper: its registration, variant labels and setup rows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from repro.papers.registry import register

PAPER = register("srivastava2014")
PAPER.setup_rows["hidden"] = ("Hidden widths", [("{}", "model.hidden")])
PAPER.setup_rows["keep"] = (
    "Keep probability p (input / hidden)",
    [("{}", "model.keep_input"), ("{}", "model.keep_hidden")],
)

NAMED = {
    "reg_none": "no regulariser",
    "reg_l2": "L2",
    "reg_maxnorm": "max-norm",
    "reg_drop_l2": "dropout + L2",
    "reg_drop_maxnorm": "dropout + max-norm",
    "cnn_nodrop": "no dropout",
    "cnn_fcdrop": "dropout in FC layers",
    "cnn_alldrop": "dropout in all layers",
    "cnn_alldrop2d": "all layers, Dropout2d in convs",
    "ae_plain": "autoencoder, no dropout",
    "ae_drop": "autoencoder, dropout (p = 0.5)",
}


def as_list(value: Any) -> list | None:
    """A list column of the tidy table (JSON text) as a list; None when missing."""
    if isinstance(value, list):
        return value
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        parsed = json.loads(str(value))
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) else None


def keep_of(config: Mapping[str, Any], key: str = "model.keep_hidden") -> float:
    """A keep probability from a flat config (1.0, no dropout, when the run does not set it)."""
    value = config.get(key)
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return 1.0
    listed = as_list(value)
    return float(min(listed)) if listed else float(value)


def arch_label(config: Mapping[str, Any]) -> str | None:
    """'2x512' for hidden widths [512, 512]; '320-320-640' when the widths differ; None without widths."""
    hidden = as_list(config.get("model.hidden"))
    if not hidden:
        return None
    if len(set(hidden)) == 1:
        return f"{len(hidden)}x{hidden[0]}"
    return "-".join(str(h) for h in hidden)


@PAPER.labels
def net_label(variant: str, config: Mapping[str, Any]) -> str:
    """The paper's model name for named arms; else '<depth>x<width>, dropout' from the config columns."""
    if variant in NAMED:
        return NAMED[variant]
    arch = arch_label(config)
    if arch is None:
        return variant
    dropped = keep_of(config) < 1.0 or keep_of(config, "model.keep_input") < 1.0
    return f"{arch}, {'dropout' if dropped else 'no dropout'}"
