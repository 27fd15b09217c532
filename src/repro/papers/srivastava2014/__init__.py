"""Srivastava et al. 2014 (Dropout) plug-in: Figs. 4, 7-11, Tables 2, 4 and 9, and the net labels.

Runs are told apart by config columns: ``model.keep_hidden`` / ``model.keep_input`` / ``model.keep`` (the
probabilities of keeping a unit; 1.0 is no dropout), ``model.hidden``, ``data.train_subset``; only the
tables, whose rows are the paper's named models, key rows by the variant names the reference block uses.
"""

# The paper and its labels (paper), then the modules that register its exhibits on it.
from repro.papers.srivastava2014 import autoencoder, figures, tables  # noqa: F401
from repro.papers.srivastava2014.paper import (  # noqa: F401  (the plug-in's names)
    NAMED,
    PAPER,
    arch_label,
    as_list,
    keep_of,
    net_label,
)
