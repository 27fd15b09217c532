"""Snakemake wrapper: fetch one dataset into the data root (see repro.data.fetch_dataset)."""

import logging
from pathlib import Path

from repro.data import fetch_dataset

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
# A substitution must not hide in a log file: warnings also go to the console.
console = logging.StreamHandler()
console.setLevel(logging.WARNING)
logging.getLogger().addHandler(console)
p = snakemake.params
fetch_dataset(
    snakemake.wildcards.dataset,
    Path(snakemake.output.tensors).parent.parent,
    Path(p.mirror) if p.mirror else None,
    allow_fallback=bool(p.allow_fallback),
    allow_download=bool(p.allow_download),
)
