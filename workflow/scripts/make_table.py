"""Snakemake wrapper: one LaTeX table, registered by its paper's plug-in, from its experiment's tidy table."""

import logging
from pathlib import Path

from repro.papers import load
from repro.report import make_table

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
p = snakemake.params
load(p.paper, p.plugin)  # the built-in repro.papers.<paper>, or the experiment's paper.plugin file
floor = list(snakemake.input.get("floor", []))  # the trained floor's row, when the experiment has one
make_table(
    p.table,
    Path(snakemake.input.table),
    dict(p.experiment),
    Path(snakemake.output.tex),
    floor_csv=Path(floor[0]) if floor else None,
)
logging.info("wrote %s", snakemake.output.tex)
