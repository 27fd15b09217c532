# repro: from raw data to a compiled report, for five classic results on training deep networks.
#
# Path grammar (built in one place, src/repro/paths.py):
#   data/{dataset}/tensors.pt, provenance.json             the fetched dataset (data root is configurable)
#   results/{scale}/runs/{experiment}/{variant}/seed{seed}/  config.json meta.json metrics.csv probes/*.csv
#                                                            (+ checkpoint/, for resume; not a rule output)
#   results/{scale}/tables/{experiment}.csv                 tidy table of every run of an experiment
#   results/{scale}/baselines/{experiment}/linear.csv       the trained floor: a linear classifier per
#                                                            training set the runs use (repro.baselines)
#   results/{scale}/figures/{figure}.pdf (+ .png)           one named rule per figure: fig_{figure}
#   results/{scale}/paper/                                  macros.tex, tables/*.tex, claims.csv, claims.tex
#   results/{scale}/report.pdf                              the compiled report
#   results/{scale}/preflight.csv, forecast.{csv,md}        every distinct run config built and stepped;
#                                                            the cost forecast (`snakemake preflight`)
#   results/{scale}/logs/{rule}/...                         one log per job
#   (with robustness=True, the asserted claims' runs again on a second draw, as experiment {experiment}.draw2)
#
# Usage: `snakemake -n` (dry run), `snakemake --cores all`, `snakemake fig_he2016_training_curves`,
# `snakemake preflight --config scale=full` (build and step every run config, forecast the cost),
# `snakemake --configfile configs/offline.yaml` (no network), `--config scale=smoke`.

from snakemake.utils import min_version

min_version("8.0")


configfile: "configs/config.yaml"


# `snakemake --report report.html`: the figures, the claims, the tidy tables and the PDF, per paper.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/baselines.smk"
include: "workflow/rules/aggregate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/preflight.smk"
include: "workflow/rules/paper.smk"


rule all:
    default_target: True
    input:
        final_targets(),
