"""Snakemake wrapper: the cost forecast from the preflight: per-run CSV, per-paper markdown and LaTeX."""

import logging
from pathlib import Path

from repro import forecast
from repro.runio import atomic_write_bytes, write_rows

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
gpu = dict(snakemake.params.reference_gpu)
rows = forecast.forecast_rows(forecast.read_rows(snakemake.input.csv), gpu)
write_rows(Path(snakemake.output.csv), rows, forecast.COLUMNS)
summary = forecast.summarize(rows, list(snakemake.params.gpus))
device = rows[0]["device"] if rows else "device"
table = forecast.markdown(summary, device)
logging.info("forecast per paper:\n%s", table)
atomic_write_bytes(Path(snakemake.output.md), table.encode())
tex = forecast.latex(summary, device, gpu.get("name", forecast.REFERENCE_GPU["name"]))
atomic_write_bytes(Path(snakemake.output.tex), tex.encode())
