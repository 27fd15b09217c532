"""Dataset provenance in words: dataset names, which data each build used, every substitution or fallback."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from repro.report.latex import latex_escape, newcommand, write_text

FALLBACK = "fallback"
DATASET_LABELS = {
    "cifar10": "CIFAR-10",
    "fashion_mnist": "Fashion-MNIST",
    "fashion_mnist_subset": "Fashion-MNIST subset",
    "mnist": "MNIST",
}
DATA_SOURCE_LABELS = {
    "cache": "local cache",
    "mirror": "local mirror",
    "download": "download",
    "fallback": "subset shipped with the package",
}


def dataset_label(name: object) -> str:
    """'cifar10' -> 'CIFAR-10'; unknown names are returned unchanged."""
    return DATASET_LABELS.get(str(name), str(name))


def provenances_from_table(table: pd.DataFrame, experiment: str | None = None) -> list[dict]:
    """Distinct {experiment, requested, dataset, source} records from a tidy table's data.* columns."""
    used = "data.used" if "data.used" in table else "data.name"  # data.used: what was really loaded
    needed = ["data.requested", used]
    if table.empty or any(c not in table for c in needed):
        return []
    if experiment is None and "experiment" in table:
        experiment = str(table["experiment"].iloc[0])
    cols = [*needed, "data.source"] if "data.source" in table else needed
    records = []
    for values in table[cols].drop_duplicates().itertuples(index=False):
        record = dict(zip(["requested", "dataset", "source"], values, strict=False))
        records.append({**record, "experiment": experiment})
    return records


def is_substitution(prov: Mapping) -> bool:
    """True when the data used is not the data requested, or came from the shipped fallback."""
    return str(prov.get("dataset")) != str(prov.get("requested")) or prov.get("source") == FALLBACK


def short_note(prov: Mapping) -> str:
    """Caption-sized text, e.g. 'Fashion-MNIST subset (shipped fallback) instead of CIFAR-10'."""
    used, requested = dataset_label(prov.get("dataset")), dataset_label(prov.get("requested"))
    if prov.get("source") == FALLBACK:
        return f"{used} (shipped fallback) instead of {requested}"
    if is_substitution(prov):
        return f"{used} instead of {requested}"
    return f"{used}, as in the paper"


def long_note(prov: Mapping) -> str:
    """A full sentence (LaTeX) naming the substitution, its reason and which experiment it affected."""
    used, requested = dataset_label(prov.get("dataset")), dataset_label(prov.get("requested"))
    where = f" for \\texttt{{{latex_escape(prov['experiment'])}}}" if prov.get("experiment") else ""
    if prov.get("source") == FALLBACK:
        text = (
            f"{latex_escape(requested)} could not be obtained (no cache, mirror or download), so this build "
            f"used the {latex_escape(used)} shipped with the package instead{where}."
        )
    else:
        source = DATA_SOURCE_LABELS.get(str(prov.get("source")), str(prov.get("source")))
        text = (
            f"{latex_escape(requested)} was replaced by {latex_escape(used)}{where} "
            f"(data from {latex_escape(source)})."
        )
    if prov.get("note"):
        text += f" {latex_escape(prov['note'])}"
    return text


def _unique(provenances: Iterable[Mapping]) -> list[Mapping]:
    seen, out = set(), []
    for prov in provenances:
        key = (prov.get("experiment"), prov.get("requested"), prov.get("dataset"), prov.get("source"))
        if key not in seen:
            seen.add(key)
            out.append(prov)
    return out


def data_note(provenances: Iterable[Mapping]) -> str:
    """The text of \\dataNote: 'Data: ...' naming every substitution, or the datasets used."""
    notes = list(dict.fromkeys(short_note(p) for p in _unique(provenances)))
    if not notes:
        return "Data: not recorded."
    return "Data: " + "; ".join(latex_escape(n) for n in notes) + "."


def left_out_text(left_out: Mapping[str, Iterable[str]]) -> str:
    """LaTeX naming the reported-only variants this build left out, per experiment ('' when none)."""
    named = {name: list(variants) for name, variants in left_out.items() if list(variants)}
    if not named:
        return ""
    runs = "; ".join(
        f"\\texttt{{{latex_escape(name)}}}: {', '.join(latex_escape(v) for v in variants)}"
        for name, variants in sorted(named.items())
    )
    return (
        "\\par\\smallskip\\textbf{Exhibits left out.} To keep the default run within its time budget, "
        "this build left out reported-only arms, which no claim asserted at this scale compares (add them "
        f"with \\texttt{{--config extra\\_exhibits=True}}): {runs}. The figures, tables and claims "
        "that use them show what ran."
    )


def substitutions_tex(
    provenances: list[dict], out_tex: Path, left_out: Mapping[str, Iterable[str]] | None = None
) -> Path:
    """Write substitutions.tex: \\dataNote for captions, \\dataSubstitutions for the first page, and
    \\leftOutExhibits, the variants ``left_out`` of the build per experiment (empty when none)."""
    unique = _unique(provenances)
    subs = [p for p in unique if is_substitution(p)]
    if subs:
        body = "\n".join(["\\begin{itemize}", *(f"  \\item {long_note(p)}" for p in subs), "\\end{itemize}"])
    else:
        used = sorted({dataset_label(p.get("dataset")) for p in unique})
        body = "No substitutions." + (f" Datasets used: {latex_escape(', '.join(used))}." if used else "")
    # Macros rather than bare text, so that the definitions made in the preamble survive into a box.
    lines = [
        "% Generated by repro.report.substitutions_tex; do not edit.",
        newcommand("dataNote", data_note(unique)),
        newcommand("dataSubstitutions", body),
        newcommand("leftOutExhibits", left_out_text(left_out or {})),
    ]
    return write_text(Path(out_tex), "\n".join(lines) + "\n")
