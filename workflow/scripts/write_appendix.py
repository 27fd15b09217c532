"""Snakemake wrapper: the report's appendix (the cost forecast at full scale; empty elsewhere)."""

from pathlib import Path

from repro.report.appendix import write_appendix

snakemake = globals()["snakemake"]
forecast = snakemake.input.forecast[0] if snakemake.input.forecast else None
write_appendix(Path(snakemake.output.tex), forecast, snakemake.params.gpu_name, list(snakemake.params.gpus))
