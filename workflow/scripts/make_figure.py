"""Snakemake wrapper: draw one figure, registered by its paper's plug-in, from its experiment's tidy table."""

import logging
from pathlib import Path

from repro.figures import make_figure
from repro.papers import load

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
p = snakemake.params
load(p.paper, p.plugin)  # the built-in repro.papers.<paper>, or the experiment's paper.plugin file
# The experiment's trained floor (repro.baselines), when it has one: drawn as a reference line.
floor = list(snakemake.input.get("floor", []))
make_figure(
    p.figure,
    Path(snakemake.input.table),
    Path(snakemake.output.pdf),
    paper=p.paper,
    floor_csv=Path(floor[0]) if floor else None,
)
logging.info("wrote %s", snakemake.output.pdf)
