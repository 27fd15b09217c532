"""Figures and report on a synthetic tidy table: rendering, macros, tables, claims, and the PDF build."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from repro.experiments import read_yaml
from repro.figures import make_figure
from repro.papers import all_figures, find, variant_labels
from repro.papers.he2016 import table6
from repro.report import (
    bibliography_tex,
    build_pdf,
    claims_tex,
    experiment_parts,
    index_tex,
    latex_escape,
    macro_name,
    make_table,
    seeds_cell,
    setup_table_tex,
    substitutions_tex,
    write_macros,
)
from repro.report.appendix import appendix_tex

from .figure_data import draw, figure_legend_series, has_data, is_placeholder, notices, series

REPO = Path(__file__).resolve().parents[1]
EXPERIMENT = "he2016_depth"
FIGURES = all_figures()
STEPS = 600
# Final test error of seed s is BASE + 0.5 s; plain56 seed 1 diverges (its numbers must not be averaged).
BASE_TEST = {"plain20": 18.0, "plain56": 40.0, "resnet20": 16.0, "resnet56": 15.0}
SEEDS = (0, 1)
DIVERGED = {("plain56", 1)}
PARAMS = {20: 69_114, 56: 213_850}
REFERENCE = {
    "table6": {"resnet20": 8.75, "resnet56": 6.97, "resnet110": 6.43},
    "reimplementation": {"name": "akamaster/pytorch_resnet_cifar10", "table6": {"resnet20": 8.27}},
}
PROVENANCE = {
    "requested": "cifar10",
    "dataset": "fashion_mnist_subset",
    "source": "fallback",
    "experiment": EXPERIMENT,
    "note": "10k/2k images",
}


def he_experiment() -> dict:
    """The He et al. experiment file (its nets' configs label the nets that did not run) with REFERENCE."""
    raw = yaml.safe_load((REPO / "configs" / "experiments" / f"{EXPERIMENT}.yaml").read_text())
    return {**raw, "reference": REFERENCE, "paper_protocol": {"steps": "64k iterations"}}


def final_test(variant: str, seed: int) -> float:
    """The synthetic final test error of one run."""
    return BASE_TEST[variant] + 0.5 * seed


def run_meta(variant: str, seed: int) -> dict:
    """The id and config columns of one synthetic run."""
    depth = int(re.findall(r"\d+", variant)[0])
    return {
        "experiment": EXPERIMENT,
        "variant": variant,
        "seed": seed,
        "status": "diverged" if (variant, seed) in DIVERGED else "completed",
        "model.name": "resnet_cifar",
        "model.depth": depth,
        "model.width": 8,
        "model.residual": variant.startswith("resnet"),
        "model.params": PARAMS[depth],
        "data.name": PROVENANCE["dataset"],
        "data.requested": PROVENANCE["requested"],
        "data.source": PROVENANCE["source"],
        "train.steps": STEPS,
    }


def run_rows(variant: str, seed: int) -> list[dict]:
    """Metric rows (errors falling linearly to their final value) and layer responses of one run."""
    meta = run_meta(variant, seed)
    final = final_test(variant, seed)
    rows = []
    for step in range(0, STEPS + 1, 20):
        frac = step / STEPS
        train = 90.0 * (1 - frac) + (final - 2.0) * frac
        if meta["status"] == "diverged" and step > STEPS // 2:
            train = np.nan
        point = {**meta, "source": "metrics", "step": step, "epoch": step / 100, "metric": "error"}
        rows.append({**point, "split": "train", "value": train})
        if step % 100 == 0:
            rows.append({**point, "split": "test", "value": 90.0 * (1 - frac) + final * frac})
    if meta["status"] == "completed":
        for layer in range(1, meta["model.depth"]):
            rows.append({**meta, "source": "layer_response", "step": STEPS, "epoch": STEPS / 100,
                         "metric": "response_std", "value": response(variant, layer, seed),
                         "layer": float(layer)})  # fmt: skip
    return rows


def response(variant: str, layer: int, seed: int) -> float:
    """Synthetic layer-response std: plain nets twice ResNets, shrinking with depth, wobbling over layers."""
    depth = int(re.findall(r"\d+", variant)[0])
    scale = (1.0 if variant.startswith("resnet") else 2.0) * 20 / depth
    return scale * (1 + 0.3 * np.sin(layer)) + 0.05 * seed


def synthetic_table() -> pd.DataFrame:
    """A tidy table shaped like repro.tables' output: metrics and layer-response rows, one diverged run."""
    return pd.DataFrame([row for variant in BASE_TEST for seed in SEEDS for row in run_rows(variant, seed)])


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """The synthetic tidy table, shared by the tests of this module."""
    return synthetic_table()


def read_macros(path: Path) -> dict[str, str]:
    """Parse \\newcommand{\\name}{body} lines into name -> body."""
    pattern = re.compile(r"\\newcommand\{\\([A-Za-z]+)\}\{(.*)\}$")
    return {m.group(1): m.group(2) for line in path.read_text().splitlines() if (m := pattern.match(line))}


def completed_seeds(variant: str) -> list[int]:
    """The seeds of ``variant`` that did not diverge (a diverged run is drawn apart, never averaged in)."""
    return [s for s in SEEDS if (variant, s) not in DIVERGED]


def test_training_curves_plot_each_nets_mean_test_error(tmp_path: Path, table: pd.DataFrame) -> None:
    csv = tmp_path / "table.csv"
    table.to_csv(csv, index=False)
    out = tmp_path / "figures" / "he2016_training_curves.pdf"
    fig = draw(make_figure, "he2016_training_curves", csv, out)
    assert out.stat().st_size > 0 and out.with_suffix(".png").stat().st_size > 0
    assert not list(out.parent.glob(".*")), "temporary files left behind"
    plain, resnets = (series(ax) for ax in fig.axes)
    assert set(plain) == {"plain-20 (n=2)", "plain-56 (n=1, diverged 1/2)"}
    assert set(resnets) == {"ResNet-20 (n=2)", "ResNet-56 (n=2)"}
    steps = np.arange(0, STEPS + 1, 100)
    for panel in (plain, resnets):
        for label, (x, y) in panel.items():
            variant = label.split(" ")[0].replace("-", "").replace("ResNet", "resnet")
            final = np.mean([final_test(variant, s) for s in completed_seeds(variant)])
            assert np.array_equal(x, steps), label
            np.testing.assert_allclose(y, 90.0 * (1 - steps / STEPS) + final * steps / STEPS, err_msg=label)


def test_layer_responses_plot_each_nets_mean_response_in_order_and_sorted(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    fig = draw(FIGURES["he2016_layer_responses"], table, tmp_path / "responses.pdf")
    top, bottom = fig.axes
    drawn = figure_legend_series(fig, top)
    assert set(drawn) == {
        "plain-20 (n=2)",
        "plain-56 (n=1, diverged 1/2)",
        "ResNet-20 (n=2)",
        "ResNet-56 (n=2)",
    }
    for variant, label in (("resnet20", "ResNet-20 (n=2)"), ("plain56", "plain-56 (n=1, diverged 1/2)")):
        depth = int(variant[-2:])
        layers = np.arange(1, depth)
        x, y = drawn[label]
        assert np.array_equal(x, layers)
        per_seed = np.array([[response(variant, i, s) for i in layers] for s in completed_seeds(variant)])
        np.testing.assert_allclose(y, per_seed.mean(axis=0))
        # The sorted panel sorts each seed's responses before averaging them.
        ranked = np.sort(per_seed, axis=1)[:, ::-1].mean(axis=0)
        bottom_lines = [line for line in bottom.lines if len(line.get_xdata()) == depth - 1]
        assert any(np.allclose(line.get_ydata(), ranked) for line in bottom_lines), variant
    assert top.get_ylabel() == "layer-response std"


# Figures that draw any experiment's test curves (so He's nets too); every other paper's is a placeholder.
DRAW_ANY_CURVES = {"ioffe2015_ablation_curves", "srivastava2014_fig4"}


@pytest.mark.parametrize("name", sorted(set(FIGURES) - set(find("he2016").figures)))
def test_other_papers_figures_mark_the_he_table_as_no_runs(
    tmp_path: Path, table: pd.DataFrame, name: str
) -> None:
    fig = draw(FIGURES[name], table, tmp_path / f"{name}.pdf")
    if name in DRAW_ANY_CURVES:
        assert any(has_data(ax) for ax in fig.axes)
    else:
        assert all(is_placeholder(ax) for ax in fig.axes), [notices(ax) for ax in fig.axes]


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figures_survive_missing_runs(tmp_path: Path, table: pd.DataFrame, name: str) -> None:
    function = FIGURES[name]
    only_plain = table[table["variant"].str.startswith("plain")]
    function(only_plain, tmp_path / "plain.pdf")
    all_diverged = table[table["variant"] == "plain56"].assign(status="diverged")
    function(all_diverged, tmp_path / "diverged.pdf")
    for stem, empty in (("empty", table.iloc[0:0]), ("nothing", pd.DataFrame())):
        fig = draw(function, empty, tmp_path / f"{stem}.pdf")
        assert all(is_placeholder(ax) for ax in fig.axes), (stem, [notices(ax) for ax in fig.axes])
    for stem in ("plain", "empty", "nothing", "diverged"):
        assert (tmp_path / f"{stem}.png").stat().st_size > 0


def test_training_curves_mark_the_panel_without_runs(tmp_path: Path, table: pd.DataFrame) -> None:
    only_plain = table[table["variant"].str.startswith("plain")]
    plain, resnets = draw(FIGURES["he2016_training_curves"], only_plain, tmp_path / "plain.pdf").axes
    assert has_data(plain) and is_placeholder(resnets)


def test_make_figure_unknown_name_lists_valid(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="he2016_training_curves"):
        make_figure("nope", tmp_path / "t.csv", tmp_path / "x.pdf")


def test_macro_names() -> None:
    assert macro_name("resnet20") == "ResnetTwenty"
    assert macro_name("plain56") == "PlainFiftySix"
    assert macro_name("resnet110") == "ResnetOneHundredTen"
    assert macro_name("resnet1202") == "ResnetOneThousandTwoHundredTwo"
    assert macro_name("test_error") == "TestError"


def test_write_macros_values(tmp_path: Path, table: pd.DataFrame) -> None:
    out = tmp_path / "macros" / f"{EXPERIMENT}.tex"
    labels = variant_labels(find("he2016"), table)
    returned = write_macros(EXPERIMENT, table, REFERENCE, out, labels=labels)
    macros = read_macros(out)
    assert macros == returned
    assert macros["heResnetTwentyLabel"] == "ResNet-20" and macros["hePlainFiftySixLabel"] == "plain-56"
    for variant in ("resnet20", "resnet56", "plain20"):
        values = [final_test(variant, s) for s in SEEDS]
        stem = "he" + macro_name(variant)
        assert macros[stem + "TestErr"] == f"{np.mean(values):.2f}"
        assert macros[stem + "TestErrSd"] == f"{np.std(values, ddof=1):.2f}"
        assert macros[stem + "NRuns"] == "2"
    # The diverged seed is counted, not averaged in.
    assert macros["hePlainFiftySixTestErr"] == f"{final_test('plain56', 0):.2f}"
    assert macros["hePlainFiftySixNDiverged"] == "1"
    assert macros["hePlainFiftySixTestErrSd"] == "--"
    assert "1 diverged" in macros["hePlainFiftySixTestErrText"]
    assert macros["heNSeeds"] == "2"
    assert macros["heNDiverged"] == "1"
    assert macros["heSteps"] == "600"
    assert macros["heRefTableSixResnetTwenty"] == "8.75"
    assert macros["heRefReimplementationName"] == r"akamaster/pytorch\_resnet\_cifar10"
    assert macros["heResnetTwentyParams"] == "69.1k"
    # Probe macros: mean over layers at the last probed step, then mean over completed seeds.
    per_seed = [np.mean([response("resnet20", layer, s) for layer in range(1, 20)]) for s in SEEDS]
    assert macros["heResnetTwentyResponseStd"] == f"{np.mean(per_seed):.2f}"
    assert "Fashion-MNIST subset" in macros["heDataNote"] and "CIFAR-10" in macros["heDataNote"]
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in macros)


def test_latex_escape() -> None:
    assert latex_escape("a_b & 50% #1 $x$ {y}") == r"a\_b \& 50\% \#1 \$x\$ \{y\}"
    assert latex_escape("~^\\") == r"\textasciitilde{}\textasciicircum{}\textbackslash{}"
    assert latex_escape("8.1 ± 0.2, p≥32") == r"8.1 $\pm$ 0.2, p$\geq$32"


def test_table6(tmp_path: Path, table: pd.DataFrame) -> None:
    text = table6(table, he_experiment(), tmp_path / "t6.tex").read_text()
    rows = {line.split(" & ")[0]: line.split(" & ") for line in text.splitlines() if " & " in line}
    assert rows["ResNet-20"][3].startswith("16.25 $\\pm$ 0.35 (n=2)")
    assert rows["ResNet-20"][4] == "8.75" and rows["ResNet-20"][5].startswith("8.27")
    assert rows["ResNet-110"][3] == "not run" and rows["ResNet-110"][4] == "6.43"
    assert rows["plain-20"][4] == "--"  # the paper does not tabulate plain nets
    assert "1 diverged" in rows["plain-56"][3]
    assert rows["ResNet-56"][1] == "0.21M"
    assert "\\toprule" in text and "\\bottomrule" in text
    # One blank line between the plain nets and the ResNets (by model.residual, not by name).
    assert text.count("\\addlinespace") == 1
    assert text.index("plain-56") < text.index("\\addlinespace") < text.index("ResNet-20")


def test_claims_table(tmp_path: Path) -> None:
    csv = tmp_path / "claims.csv"
    pd.DataFrame(
        [
            [
                "he2016_depth",
                "he2016",
                "R1",
                "plain_56 > plain_20 & 5% gap",
                True,
                "reproduced",
                "40.0 vs 18.25",
            ],
            ["he2016_depth", "he2016", "R2", "ResNet-56 < ResNet-20", False, "not evaluable", ""],
        ],
        columns=["experiment", "paper", "id", "statement", "asserted", "result", "measured"],
    ).to_csv(csv, index=False)
    text = claims_tex(csv, tmp_path / "claims.tex").read_text()
    assert r"plain\_56 > plain\_20 \& 5\% gap".replace(">", r"\textgreater{}") in text
    assert "R1 & plain" in text and " & yes & reproduced & " in text
    assert " & no & not evaluable & " in text
    assert "longtable" in text and "\\toprule" in text


def test_substitutions_and_setup(tmp_path: Path) -> None:
    text = substitutions_tex([PROVENANCE, PROVENANCE], tmp_path / "subs.tex").read_text()
    assert text.count("\\item") == 1 and "CIFAR-10 could not be obtained" in text
    assert "\\newcommand{\\dataNote}" in text
    none = substitutions_tex(
        [{"requested": "mnist", "dataset": "mnist", "source": "cache"}], tmp_path / "n.tex"
    )
    assert "No substitutions." in none.read_text()
    assert "\\newcommand{\\leftOutExhibits}{}" in none.read_text()  # nothing left out: an empty paragraph
    left = substitutions_tex([PROVENANCE], tmp_path / "l.tex", {"he2016_depth": ["plain56"], "wu": []})
    assert "\\texttt{he2016\\_depth}: plain56." in left.read_text() and "wu}" not in left.read_text()
    assert "extra\\_exhibits=True" in left.read_text()
    data = {"name": "fashion_mnist", "requested": "cifar10", "train_subset": None, "pad": 2, "flip": True}
    configs = [
        {"seed": s, "scale": "quick", "model": {"depth": d, "width": 8}, "data": data,
         "train": {"steps": STEPS, "batch_size": 128}}
        for s in SEEDS for d in (20, 56)
    ]  # fmt: skip
    protocol = {
        "steps": "64k iterations",
        "augmentation": "pad 4, crop, flip",
        "extra": {"paper": "n/a & more", "label": "Model", "config": "model.width"},
    }
    he_rows = find("he2016").setup_rows  # Depths and Width are the plug-in's rows
    lines = setup_table_tex(configs, protocol, tmp_path / "s.tex", rows=he_rows).read_text().splitlines()
    assert "Depths & 20, 56 & -- \\\\" in lines
    assert "Training length & 600 iterations & 64k iterations \\\\" in lines
    assert "Training images & full training set & -- \\\\" in lines
    assert "Preprocessing & pad 2 and crop; flip: yes & pad 4, crop, flip \\\\" in lines
    assert "Seeds & 2 (0, 1) & -- \\\\" in lines
    assert "Model & 8 & n/a \\& more \\\\" in lines
    assert "Dataset & Fashion-MNIST instead of CIFAR-10 & -- \\\\" in lines
    assert not any(line.startswith("Optimizer") for line in lines)  # neither side says anything
    generic = setup_table_tex(configs, protocol, tmp_path / "g.tex").read_text()
    assert "Depths" not in generic and "Training length & 600 iterations" in generic
    # Reported-only arms that ran fewer seeds (`reported_seeds`) are counted apart.
    arms = {"a": [0, 1, 2], "b": [0], "c": [0]}
    mixed = [{"seed": s, "variant": v} for v, seeds in arms.items() for s in seeds]
    assert seeds_cell(mixed) == "3 (0, 1, 2) for 1 setting; 1 (0) for 2 settings"
    assert seeds_cell([{"seed": 0, "variant": "a"}, {"seed": 1, "variant": "a"}]) == "2 (0, 1)"


def generate_report_inputs(
    gen_dir: Path, table: pd.DataFrame, left_out: dict[str, list[str]] | None = None
) -> None:
    """Write every generated input of paper/report.tex, as the Snakemake paper rules do."""
    figures = gen_dir.parent / "figures"
    csv = gen_dir.parent / "tables" / f"{EXPERIMENT}.csv"
    csv.parent.mkdir(parents=True)
    table.to_csv(csv, index=False)
    for name in FIGURES:
        make_figure(name, csv, figures / f"{name}.pdf")
    experiment = he_experiment()
    configs = [{"seed": s, "model": {"depth": 20}, "data": {"name": "fashion_mnist_subset"}} for s in SEEDS]
    experiment_parts(experiment, csv, configs, gen_dir)
    for name in experiment["tables"]:  # the synthetic table is He et al.'s; other papers' have own tests
        make_table(name, csv, experiment, gen_dir / "tables" / f"{name}.tex")
    substitutions_tex([PROVENANCE], gen_dir / "substitutions.tex", left_out)
    claims = gen_dir / "claims.csv"
    pd.DataFrame(
        [[EXPERIMENT, "he2016", "R1", "plain-56 > plain-20", True, "reproduced", "40.00 vs 18.25"]],
        columns=["experiment", "paper", "id", "statement", "asserted", "result", "measured"],
    ).to_csv(claims, index=False)
    claims_tex(claims, gen_dir / "claims.tex")
    index_tex({EXPERIMENT: "he2016"}, gen_dir, build_info={"scale": "synthetic", "commit": "abc123"})
    bibliography_tex(read_yaml(REPO / "paper" / "references.yaml"), ["he2016"], gen_dir / "bibliography.tex")
    # Below full scale the appendix is a comment (rule write_appendix), as here.
    (gen_dir / "appendix.tex").write_text(appendix_tex(None, "GPU", [1]))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("latexmk") is None, reason="latexmk is not installed")
@pytest.mark.parametrize("subset", ["all", "plain only"])
def test_build_pdf(tmp_path: Path, table: pd.DataFrame, subset: str) -> None:
    left_out = None
    if subset == "plain only":  # the section's ResNet numbers must degrade to stand-ins, not break the build
        table = table[table["variant"].str.startswith("plain")]
        left_out = {EXPERIMENT: ["resnet20", "resnet56"]}  # as a build without extra_exhibits says so
    gen_dir = tmp_path / "results" / "synthetic" / "paper"
    generate_report_inputs(gen_dir, table, left_out)
    out = tmp_path / "results" / "synthetic" / "report.pdf"
    assert build_pdf(REPO / "paper", gen_dir, out) is True
    assert out.stat().st_size > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
        text = " ".join(text.split())
        assert "CIFAR-10 could not be obtained" in text
        assert "Fashion-MNIST subset (shipped fallback) instead of CIFAR-10" in text  # in the captions
        resnet20 = f"{np.mean([final_test('resnet20', s) for s in SEEDS]):.2f}"
        assert (resnet20 in text) == (subset == "all")
        left_out_named = (
            "Exhibits left out." in text and "extra_exhibits=True): he2016_depth: resnet20" in text
        )
        assert left_out_named == (subset == "plain only")


def test_build_pdf_raises_with_log_tail(tmp_path: Path) -> None:
    if shutil.which("latexmk") is None:
        pytest.skip("latexmk is not installed")
    src = tmp_path / "src"
    src.mkdir()
    (src / "report.tex").write_text(
        "\\documentclass{article}\\begin{document}\\undefinedmacro\\end{document}\n"
    )
    with pytest.raises(RuntimeError, match="Undefined control sequence"):
        build_pdf(src, tmp_path / "gen", tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()


def test_build_pdf_without_latexmk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert build_pdf(REPO / "paper", tmp_path, tmp_path / "report.pdf") is False
    assert not (tmp_path / "report.pdf").exists()


def test_figure_table_and_report_jobs_do_not_load_torch() -> None:
    """The jobs that only read tables (figures, tables, the report's parts and claims) never import torch:
    about 2 s a job on a slow CPU, some forty jobs a build."""
    code = (
        "import sys\n"
        "from repro.figures import make_figure\n"
        "from repro.papers import load\n"
        "for paper in ('he2016', 'ioffe2015', 'santurkar2018', 'wu2018', 'srivastava2014'):\n"
        "    load(paper, None)\n"
        "from repro.report import claims_tex, experiment_parts, make_table, substitutions_tex\n"
        "from repro.baselines import read_floor\n"
        "from repro.claims import evaluate_claims\n"
        "from repro.tables import read_table, write_table\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
