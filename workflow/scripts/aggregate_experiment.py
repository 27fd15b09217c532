"""Snakemake wrapper: aggregate an experiment's runs into its tidy table."""

import logging
from pathlib import Path

from repro.tables import write_table

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
runs = snakemake.input.runs
table = write_table([Path(m).parent for m in runs], Path(snakemake.output[0]))
logging.info("%d rows from %d runs -> %s", len(table), len(runs), snakemake.output[0])
