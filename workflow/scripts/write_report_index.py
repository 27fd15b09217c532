"""Snakemake wrapper: the report's index (macros.tex, sections.tex) and the data-substitution note."""

import logging
import subprocess
from pathlib import Path

from repro.experiments import read_yaml
from repro.report import bibliography_tex, index_tex, provenances_from_table, substitutions_tex
from repro.tables import read_table

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
gen_dir = Path(snakemake.output.macros).parent
provenances = [p for table in snakemake.input.tables for p in provenances_from_table(read_table(Path(table)))]
substitutions_tex(provenances, Path(snakemake.output.substitutions), dict(snakemake.params.left_out))
commit = subprocess.run(
    ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
).stdout.strip()
index_tex(
    dict(snakemake.params.papers),
    gen_dir,
    build_info={"scale": snakemake.params.scale, "commit": commit or "unknown"},
)
references = read_yaml(Path(snakemake.input.references))
bibliography_tex(
    references,
    dict(snakemake.params.papers).values(),
    Path(snakemake.output.bibliography),
    dict(snakemake.params.citations),
)
logging.info("wrote the report index in %s", gen_dir)
