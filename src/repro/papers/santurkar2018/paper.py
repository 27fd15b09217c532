"""The Santurkar et al. 2018 paper: its registration and the names of its arms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repro.papers.registry import register

PAPER = register("santurkar2018")
PAPER.value_texts["model.norm"] = {
    "none": "none",
    "batch": "BN",
    "noisy_batch": "BN, then the noise after its gamma/beta, before the ReLU (noisy BN)",
    "noise": "the noise after the layer's bias, before the ReLU (no BN)",
}
# l_p norms are given as a mapping (model.norm.name, model.norm.p; Fig. 5).
PAPER.value_texts["model.norm.name"] = {"lp_batch": "l_p batch norm (Fig. 5)"}
PAPER.value_texts["model.norm.p"] = {1: "l1", 2: "l2", "inf": "l-inf"}

LABELS = {
    "nobn": "standard", "bn": "BN", "noisy_bn": "noisy BN", "nobn_noise": "standard + noise",
    "nobn_lr0.5": "standard, lr 0.5", "bn_lr0.5": "BN, lr 0.5",
    "nobn_lr1e-7": "standard, lr 1e-7", "bn_lr1e-7": "BN, lr 1e-7",
    "lp1": "l1 norm", "lp2": "l2 norm", "lpinf": "l-inf norm",
}  # fmt: skip
# The deep linear nets' lr as the paper states it, on the summed loss (the runs train on the mean).
DLN_LABELS = {**LABELS, "nobn": "standard, lr 1e-6", "bn": "BN, lr 1e-6"}


@PAPER.labels
def arm_label(variant: str, config: Mapping[str, Any]) -> str:
    """The paper's name of an arm ('noisy BN'); other variants keep their name."""
    labels = DLN_LABELS if config.get("model.name") == "linear_deep" else LABELS
    return labels.get(variant, variant)
