"""The path grammar of DESIGN.md section 3, built in one place."""

from __future__ import annotations

from pathlib import Path


def run_dir(scale: str, experiment: str, variant: str, seed: int, results: str | Path = "results") -> Path:
    """results/{scale}/runs/{experiment}/{variant}/seed{seed}"""
    return Path(results) / scale / "runs" / experiment / variant / f"seed{seed}"


def table_path(scale: str, experiment: str, results: str | Path = "results") -> Path:
    """results/{scale}/tables/{experiment}.csv"""
    return Path(results) / scale / "tables" / f"{experiment}.csv"


def floor_path(scale: str, experiment: str, results: str | Path = "results") -> Path:
    """results/{scale}/baselines/{experiment}/linear.csv: the trained floor of each of its training sets."""
    return Path(results) / scale / "baselines" / experiment / "linear.csv"


def figure_path(scale: str, figure: str, results: str | Path = "results") -> Path:
    """results/{scale}/figures/{figure}.pdf"""
    return Path(results) / scale / "figures" / f"{figure}.pdf"


def paper_dir(scale: str, results: str | Path = "results") -> Path:
    """results/{scale}/paper: generated macros, tables and claims."""
    return Path(results) / scale / "paper"


def report_path(scale: str, results: str | Path = "results") -> Path:
    """results/{scale}/report.pdf"""
    return Path(results) / scale / "report.pdf"


def dataset_dir(root: str | Path, dataset: str) -> Path:
    """data/{dataset}: downloads and the loaded tensors of one dataset."""
    return Path(root) / dataset


def tensors_path(root: str | Path, dataset: str) -> Path:
    """data/{dataset}/tensors.pt: the whole dataset as uint8 tensors, written by fetch_dataset."""
    return dataset_dir(root, dataset) / "tensors.pt"


def provenance_path(root: str | Path, dataset: str) -> Path:
    """data/{dataset}/provenance.json: where the tensors came from."""
    return dataset_dir(root, dataset) / "provenance.json"
