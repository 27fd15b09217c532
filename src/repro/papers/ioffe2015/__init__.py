"""Ioffe & Szegedy 2015 plug-in: the MNIST Fig. 1 figures, the Fig. 2/3 proxy ablation, the arm labels.

Variant names follow the experiment files: ``nobn``/``bn`` are the main MNIST pair and the proxy's arms
are named after the paper's models (``bn_x5`` is BN-x5). The other MNIST variants are paired by their
config columns (same lr and init, ``model.norm`` none vs batch), never by their names.
"""

# The paper and its labels (paper), then the modules that register its exhibits on it.
from repro.papers.ioffe2015 import fig3, figures  # noqa: F401
from repro.papers.ioffe2015.paper import (  # noqa: F401  (the plug-in's names)
    ARMS,
    LABELS,
    PAPER,
    arm_label,
)
