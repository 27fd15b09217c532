"""The Ioffe & Szegedy 2015 paper: its registration and the names of its variants and arms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repro.papers.registry import register

PAPER = register("ioffe2015")

LABELS = {
    "nobn": "baseline (no BN)", "bn": "BN",
    "nobn_base": "no BN (Inception)", "bn_base": "BN-Baseline", "bn_x5": "BN-x5", "bn_x30": "BN-x30",
    "bn_x5_sigmoid": "BN-x5-Sigmoid", "nobn_x5": "no BN, 5x lr", "nobn_sigmoid": "no BN, sigmoid",
}  # fmt: skip
ARMS = list(LABELS)[2:]  # the proxy's arms in the paper's order (Fig. 3)


@PAPER.labels
def arm_label(variant: str, config: Mapping[str, Any]) -> str:
    """The paper's name of a main-pair variant or proxy arm ('BN-x5'); other variants keep their name."""
    return LABELS.get(variant, variant)
