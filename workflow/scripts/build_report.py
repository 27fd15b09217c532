"""Snakemake wrapper: compile paper/report.tex with the generated inputs into results/{scale}/report.pdf."""

import logging
from pathlib import Path

from repro.report import build_pdf

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
gen_dir = Path(snakemake.input.generated[0]).parent.parent
if not build_pdf(Path(snakemake.input.sources[0]).parent, gen_dir, Path(snakemake.output.pdf)):
    raise SystemExit("latexmk is not installed: see the log for the packages to install")
