# Load and validate the config, expand experiments into the run table, and the path helpers rules use.

import shutil
import sys
from pathlib import Path

from snakemake.utils import validate

# The repro package lives in src/; importing it from there keeps a plain checkout working.
sys.path.insert(0, str(Path(workflow.basedir) / "src"))

from repro import paths  # noqa: E402
from repro.experiments import expand_runs, load_experiment  # noqa: E402
from repro.workflow import (  # noqa: E402
    check_full_scale_data,
    check_macro_prefixes,
    claims_summary,
    experiment_file,
    fallback_notices,
)

validate(config, workflow.source_path("../schemas/config.schema.yaml"))

SCALE = config["scale"]
DATA_ROOT = config["data"]["root"]
RESULTS = "results"
# The hand-written report sources live beside the Snakefile, wherever the working directory is.
PAPER_SRC = Path(workflow.basedir) / "paper"
EXPERIMENTS = {
    name: load_experiment(experiment_file(workflow.basedir, name)) for name in config["experiments"]
}
for _exp in EXPERIMENTS.values():
    validate(_exp.raw, workflow.source_path("../schemas/experiment.schema.yaml"))
check_macro_prefixes({name: exp.raw for name, exp in EXPERIMENTS.items()})
RUNS = {
    (run.experiment, run.variant, run.seed): run
    for exp in EXPERIMENTS.values()
    for run in expand_runs(exp, SCALE, config)
}
DATASETS = sorted({run.dataset for run in RUNS.values()})
FIGURES = {fig: name for name, exp in EXPERIMENTS.items() for fig in exp.raw.get("figures", [])}
TABLES = {tab: name for name, exp in EXPERIMENTS.items() for tab in exp.raw.get("tables", [])}
CONDA_ENV = "../envs/repro.yaml"  # used with --software-deployment-method conda
HAVE_LATEXMK = shutil.which("latexmk") is not None

# At full scale the shipped fallback subset is never acceptable: stop before any training.
check_full_scale_data(SCALE, DATA_ROOT, DATASETS)
for _notice in fallback_notices(DATA_ROOT, DATASETS):
    print(_notice, file=sys.stderr)


def run_path(experiment, variant, seed, name):
    """A file inside one run directory."""
    return str(paths.run_dir(SCALE, experiment, variant, seed, RESULTS) / name)


def runs_of(experiment):
    """The run table rows of one experiment."""
    return [run for key, run in RUNS.items() if key[0] == experiment]


def experiment_resources(experiment, key, default):
    """A per-run resource hint from the experiment file's scale block."""
    return EXPERIMENTS[experiment].resources(SCALE).get(key, default)


def figure_file(figure):
    return str(paths.figure_path(SCALE, figure, RESULTS))


def table_file(experiment):
    return str(paths.table_path(SCALE, experiment, RESULTS))


def paper_file(name):
    return str(paths.paper_dir(SCALE, RESULTS) / name)


def final_targets():
    """Everything a full run builds: the report PDF when latexmk exists, else its LaTeX sources."""
    targets = [figure_file(f) for f in FIGURES] + [paper_file(f"tables/{t}.tex") for t in TABLES]
    targets.append(paper_file("claims.csv"))
    targets.append(str(paths.report_path(SCALE, RESULTS)) if HAVE_LATEXMK else paper_file("macros.tex"))
    return targets


onsuccess:
    if Path(paper_file("claims.csv")).exists():
        print(f"Claims at scale {SCALE} (details in {paper_file('claims.csv')}):", file=sys.stderr)
        print("\n".join(claims_summary(paper_file("claims.csv"))), file=sys.stderr)
    if not HAVE_LATEXMK:
        print(
            "NOTICE: latexmk is not installed, so the report PDF was not compiled. Its LaTeX sources are in "
            f"{paper_file('')}. Install it (Debian/Ubuntu: apt-get install latexmk texlive-latex-base "
            "texlive-latex-recommended texlive-science lmodern) and run snakemake again.",
            file=sys.stderr,
        )
