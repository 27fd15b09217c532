"""Santurkar et al. 2018 plug-in: the VGG arms (noisy BN), ICS, the landscape along the gradient, the DLN.

Variant names follow the experiment files (``nobn`` is the paper's "standard" net; ``bn``, ``noisy_bn``,
``nobn_noise`` and the lr variants in santurkar2018_vgg; ``nobn``, ``bn`` and the ``_lr1e-7`` pair in
santurkar2018_dln; ``lp1``, ``lp2``, ``lpinf``, the l_p norms of Fig. 5, in both); figures draw the
arms they find in the table and mark missing ones.
"""

# The paper and its labels (paper), then the modules that register its exhibits on it.
from repro.papers.santurkar2018 import figures, tables  # noqa: F401
from repro.papers.santurkar2018.paper import (  # noqa: F401  (the plug-in's names)
    DLN_LABELS,
    LABELS,
    PAPER,
    arm_label,
)
