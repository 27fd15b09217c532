"""Snakemake wrapper: draw one registered figure from its experiment's tidy table."""

import logging
from pathlib import Path

from repro.figures import make_figure

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
make_figure(snakemake.params.figure, Path(snakemake.input.table), Path(snakemake.output.pdf))
logging.info("wrote %s", snakemake.output.pdf)
