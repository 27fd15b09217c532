"""The claims table (LaTeX) and the end-of-run summary show verdict, effect, interval and seed agreement."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from repro.claims import CLAIM_COLUMNS, evaluate_claims
from repro.config import ConfigError
from repro.experiments import read_yaml
from repro.report.bibliography import bibliography_tex, references_in_build
from repro.report.claims_table import claims_tex
from repro.report.macros import counted, experiment_macros
from repro.workflow import claims_summary

METRIC = {"split": "train", "metric": "error"}
REPO = Path(__file__).resolve().parents[1]


def claims_csv(tmp_path: Path) -> Path:
    """claims.csv of two papers' claims on a toy table: one reproduced and asserted, one within the noise."""
    rows = []
    for variant, values in {"a": [10.0, 10.2, 9.9], "b": [15.0, 15.1, 14.8], "c": [10.0, 13.0, 9.0]}.items():
        for seed, value in enumerate(values):
            rows.append({"variant": variant, "seed": seed, "status": "completed", "source": "metrics",
                         "step": 10, "split": "train", "metric": "error", "value": value})  # fmt: skip
    table = pd.DataFrame(rows)
    frames = []
    for name, key, claim in (
        ("e1", "he2016", {"id": "R1", "statement": "a < b & 5% gap", "assert_at": ["quick"],
                          "checks": [{"kind": "pairwise_less", "pairs": [["a", "b"]], "metric": METRIC}]}),
        ("e2", "wu2018", {"id": "G1", "statement": "c < b", "assert_at": ["quick"],
                          "checks": [{"kind": "pairwise_less", "pairs": [["c", "b"]], "margin": 2.0,
                                      "metric": METRIC}]}),
    ):  # fmt: skip
        frames.append(
            evaluate_claims({"name": name, "paper": {"key": key}, "claims": [claim]}, table, "quick")
        )
    path = tmp_path / "claims.csv"
    pd.concat(frames, ignore_index=True).to_csv(path, index=False)
    return path


def test_claims_csv_columns(tmp_path: Path) -> None:
    claims = pd.read_csv(claims_csv(tmp_path))
    assert list(claims.columns) == CLAIM_COLUMNS
    assert list(claims["result"]) == ["reproduced", "direction only"]


def test_claims_table_groups_by_paper_and_shows_the_evidence(tmp_path: Path) -> None:
    text = claims_tex(claims_csv(tmp_path), tmp_path / "claims.tex").read_text()
    assert r"\multicolumn{7}{@{}l}{\textbf{he2016}}" in text and r"\textbf{wu2018}" in text
    assert r"R1 & a \textless{} b \& 5\% gap & yes & reproduced & verdict 0-2 & +4.93 [" in text
    row = next(line for line in text.splitlines() if line.startswith("G1 & "))
    assert " & yes & direction only & " in row and "3/3 seeds" in row and "seeds would resolve it" in row
    assert r"\claimsVerdictNote" in text and "longtable" in text and r"\toprule" in text


def test_claims_table_reads_a_csv_without_the_evidence_columns(tmp_path: Path) -> None:
    old = tmp_path / "old.csv"
    pd.DataFrame([["e", "he2016", "R1", "s", True, "reproduced", "40.0 vs 18.25"]],
                 columns=CLAIM_COLUMNS[:7]).to_csv(old, index=False)  # fmt: skip
    text = claims_tex(old, tmp_path / "old.tex").read_text()
    assert "R1 & s & yes & reproduced &  &  & 40.0 vs 18.25" in text


def test_summary_flags_an_asserted_claim_that_is_not_reproduced(tmp_path: Path) -> None:
    lines = claims_summary(claims_csv(tmp_path))
    assert lines[0].startswith("  he2016 R1: reproduced (+4.93 [") and lines[0].endswith(
        "(asserted at this scale)"
    )
    assert lines[1].startswith("  wu2018 G1: direction only (") and "3/3 seeds" in lines[1]
    assert lines[1].endswith("<-- ASSERTED at this scale, NOT REPRODUCED")


def test_each_paper_gets_a_paragraph_on_what_did_not_reproduce_and_whether_that_was_expected(
    tmp_path: Path,
) -> None:
    claims = pd.read_csv(claims_csv(tmp_path))
    extra = claims.iloc[[1]].assign(id="G2", asserted=False, asserted_at="full", result="not evaluable")
    never = claims.iloc[[1]].assign(id="G3", asserted=False, asserted_at=float("nan"), result="contradicted")
    pd.concat([claims, extra, never], ignore_index=True).to_csv(tmp_path / "more.csv", index=False)
    text = claims_tex(tmp_path / "more.csv", tmp_path / "claims.tex", "quick").read_text()
    he = next(line for line in text.splitlines() if "shortfall@he2016" in line)
    assert "Every claim of this paper checked in this build reproduced" in he
    wu = next(line for line in text.splitlines() if "shortfall@wu2018" in line)
    assert "Of this paper's 3 claims checked at quick scale, 3 did not read" in wu
    assert "G1 (direction only; asserted at this scale, so not expected" in wu
    assert "G2 (not evaluable; expected: asserted only at full scale" in wu
    assert "G3 (contradicted; expected: reported for comparison, asserted at no scale)" in wu
    assert "\r" not in text


def test_counts_read_as_english_and_titles_name_the_data_used() -> None:
    assert (counted(1, "seed"), counted(3, "seed"), counted(0, "run")) == ("1 seed", "3 seeds", "0 runs")
    table = pd.DataFrame([
        {"variant": "a", "seed": 0, "status": "completed", "step": 5, "epoch": 1.0,
         "data.name": "fashion_mnist", "data.requested": "cifar10", "data.source": "mirror"},
    ])  # fmt: skip
    macros = experiment_macros(table, "x")
    assert macros["xNSeedsText"] == "1 seed" and macros["xNRunsText"] == "1 run"
    mixed = pd.concat([table.assign(variant=v, seed=s) for v, s in [("a", 1), ("a", 2), ("b", 0), ("c", 0)]])
    seeds_text = experiment_macros(pd.concat([table, mixed]), "x")["xNSeedsText"]
    assert seeds_text == "3 seeds for 1 and 1 seed for 2"
    assert macros["xDataTitle"] == "Fashion-MNIST (for CIFAR-10)"
    same = experiment_macros(table.assign(**{"data.requested": "fashion_mnist"}), "x")
    assert same["xDataTitle"] == "Fashion-MNIST"


def test_the_bibliography_lists_the_papers_of_the_build_and_their_citations_only(tmp_path: Path) -> None:
    references = read_yaml(REPO / "paper" / "references.yaml")
    text = bibliography_tex(references, ["he2016", "he2016"], tmp_path / "bib.tex").read_text()
    assert [line.split("}")[0] for line in text.splitlines() if line.startswith(r"\bibitem")] == [
        r"\bibitem{he2016",
        r"\bibitem{akamaster",
    ]
    assert "Group normalization" not in text and r"\end{thebibliography}" in text
    papers = ["he2016", "ioffe2015", "santurkar2018", "wu2018", "srivastava2014"]
    every = references_in_build(references, papers)
    sources = "".join(p.read_text() for p in (REPO / "paper").rglob("*.tex"))
    cited = set(re.findall(r"\\cite\{([^}]+)\}", sources))
    assert cited == set(every)  # every entry is cited, and every citation has an entry
    with pytest.raises(ConfigError, match="no entry in paper/references.yaml and no paper.citation"):
        references_in_build(references, ["nobody2030"])
    # A plug-in's own paper is cited by its experiment file's paper.citation.
    own = bibliography_tex(
        references, ["toy2020"], tmp_path / "own.tex", {"toy2020": "A. Toy & B. Pair 2020"}
    )
    assert r"\bibitem{toy2020} A. Toy \& B. Pair 2020" in own.read_text()
