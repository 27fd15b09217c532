"""Snakemake wrapper: one named LaTeX table from its experiment's tidy table."""

import logging
from pathlib import Path

from repro.report import make_table

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
make_table(
    snakemake.params.table,
    Path(snakemake.input.table),
    dict(snakemake.params.experiment),
    Path(snakemake.output.tex),
)
logging.info("wrote %s", snakemake.output.tex)
