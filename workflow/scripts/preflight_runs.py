"""Snakemake wrapper: preflight every distinct run config into results/{scale}/preflight.csv."""

import logging
import time
from pathlib import Path

from repro.preflight import COLUMNS, Entry, check, preflight
from repro.runio import write_rows

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
entries = [Entry(**{**e, "seeds": tuple(e["seeds"])}) for e in snakemake.params.entries]
# The rows so far, rewritten after each run: what a killed preflight measured is kept (not an output).
partial = Path(snakemake.output.csv).with_suffix(".partial.csv")
start = time.perf_counter()
rows = preflight(
    entries,
    int(snakemake.threads),
    snakemake.params.device,
    int(snakemake.params.steps),
    on_row=lambda so_far: write_rows(partial, so_far, COLUMNS),
)
logging.info("preflight of %d run configs took %.1f s", len(rows), time.perf_counter() - start)
write_rows(snakemake.output.csv, rows, COLUMNS)
# A failed run fails the job, naming each failure; Snakemake then removes the CSV, and the partial CSV
# (every row) and the log keep them.
check(rows, str(partial))
partial.unlink()
