"""Snakemake wrapper: train one run with the resolved config passed as a param."""

import logging
from pathlib import Path

from repro.config import run_config_from_dict
from repro.train import run

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
cfg = run_config_from_dict(dict(snakemake.params.run), source=f"rule train_run ({snakemake.output.meta})")
run(cfg, Path(snakemake.output.meta).parent, threads=snakemake.threads)
