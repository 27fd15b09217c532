"""Snakemake wrapper: fit the linear-classifier floor on each training set of one experiment."""

import logging
from pathlib import Path

import torch

from repro.baselines import TrainingSet, fit_floor, write_floor

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
# The rule's threads set torch's, so `snakemake --cores N` does not oversubscribe the cores.
torch.set_num_threads(int(snakemake.threads))
sets = [TrainingSet.from_params(p) for p in snakemake.params.sets]
floor = fit_floor(snakemake.wildcards.experiment, sets, report=logging.info)
write_floor(floor, Path(snakemake.output.csv))
logging.info("%d training sets -> %s", len(floor), snakemake.output.csv)
