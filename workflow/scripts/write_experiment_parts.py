"""Snakemake wrapper: an experiment's LaTeX macros and its setup table (ours vs the paper's protocol)."""

import logging
from pathlib import Path

from repro.papers import load
from repro.report import experiment_parts

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
load(snakemake.params.paper, snakemake.params.plugin)  # its labels, setup rows and value texts
written = experiment_parts(
    dict(snakemake.params.experiment),
    Path(snakemake.input.table),
    [Path(p) for p in snakemake.input.configs],
    Path(snakemake.output.macros).parent.parent,
)
logging.info("wrote %s", ", ".join(map(str, written)))
