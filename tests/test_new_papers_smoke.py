"""The three papers added on the plug-in engine, through the real rules at smoke scale in one DAG.

One DAG for all of them (rather than one per paper) pays Snakemake's start-up and the LaTeX build once.
It checks that each paper's figures, tables, claims and report section build from a clean copy with the
shipped Fashion-MNIST subset standing in for MNIST and CIFAR-10.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro.experiments import load_experiment

from .conftest import REPO
from .test_workflow import copy_workflow, snakemake

# Experiment -> claim ids it must report (each file's figures and tables are read from the file itself).
EXPERIMENTS = {
    "wu2018_groupnorm": {"G1", "G1-gn-b2", "G1-bn", "G1-bn-steps", "G1-gn-flat", "G2", "G3", "G4", "G5"},
    "santurkar2018_vgg": {"S1", "S2", "S3", "S5"},
    "santurkar2018_dln": {"S4-DLN", "S6"},
    "srivastava2014_mlp": {"D1", "D5"},
    "srivastava2014_reg": {"T9"},
    "srivastava2014_rate": {"D2-low", "D2-high"},
    "srivastava2014_ratepn": {"D3"},
    "srivastava2014_size": {"D4-small"},
    "srivastava2014_sparsity": {"D6", "D7"},
    "srivastava2014_conv": {"D8"},
}
SECTIONS = (
    "Group normalisation: batch normalisation as the batch per worker shrinks",
    "Dropout: architectures, rates, data size, model averaging",
    "How does batch normalisation help optimisation?",
)


@pytest.mark.slow
def test_new_papers_build_their_exhibits_claims_and_sections_at_smoke_scale(tmp_path: Path) -> None:
    work = copy_workflow(tmp_path)
    (work / "test.yaml").write_text(yaml.safe_dump({"data": {"download": False, "mirrors": {}}}))
    names = ",".join(EXPERIMENTS)
    args = ["--config", "scale=smoke", f"experiments=[{names}]", "--configfile", "test.yaml"]
    result = snakemake(work, "--cores", "2", *args)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    results = work / "results" / "smoke"
    claims = pd.read_csv(results / "paper" / "claims.csv")
    assert not claims["asserted"].any()  # nothing is asserted at smoke scale
    for name, expected_claims in EXPERIMENTS.items():
        experiment = load_experiment(REPO / "configs" / "experiments" / f"{name}.yaml").raw
        assert (results / "tables" / f"{name}.csv").stat().st_size > 0, name
        for figure in experiment.get("figures") or []:
            assert (results / "figures" / f"{figure}.pdf").stat().st_size > 1000, figure
        for table in experiment.get("tables") or []:
            assert (results / "paper" / "tables" / f"{table}.tex").stat().st_size > 100, table
        assert expected_claims <= set(claims.loc[claims["experiment"] == name, "id"]), name
    setup = (results / "paper" / "tables" / "wu2018_groupnorm_setup.tex").read_text()
    assert "8 emulated, BN statistics per worker" in setup
    if shutil.which("latexmk") and shutil.which("pdftotext"):
        pdf = results / "report.pdf"
        text = " ".join(
            subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
        )
        for heading in SECTIONS:
            assert heading.lower() in text.lower(), heading
        assert "was not built" not in text  # every figure a section shows was built
