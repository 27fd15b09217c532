"""Every number the prose may quote, as letters-only LaTeX macros computed from one tidy table."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from repro.analysis import (
    COMPLETED,
    DIVERGED,
    RUN_KEYS,
    config_value,
    final_values,
    probe_final,
    runs,
    select,
    status_counts,
    summarize,
)
from repro.report.latex import (
    fmt_int,
    fmt_number,
    fmt_params,
    fmt_sig,
    latex_escape,
    macro_name,
    macro_prefix,
    newcommand,
    write_text,
)
from repro.report.provenance import DATA_SOURCE_LABELS, data_note, dataset_label, provenances_from_table
from repro.report.setup import seed_groups

METRIC_SHORT = {"error": "Err", "loss": "Loss", "accuracy": "Acc"}
PERCENT_METRICS = {"error", "accuracy"}  # quoted with 2 decimals; everything else with 3 significant digits


def metric_macro(split: str | None, metric: str) -> str:
    """Macro stem of a metric: ('test', 'error') -> 'TestErr', (None, 'response_std') -> 'ResponseStd'."""
    stem = METRIC_SHORT.get(metric, macro_name(metric))
    return (macro_name(split) if split else "") + stem


def _fmt(metric: str, value: object) -> str:
    return fmt_number(value) if metric in PERCENT_METRICS else fmt_sig(value)


def mean_sd_text(row: Mapping, metric: str) -> str:
    """'8.61 $\\pm$ 0.21 (n=3)', with diverged runs named rather than averaged in."""
    if not row["n_ok"]:
        text = "--"
    elif row["n_ok"] > 1:
        text = f"{_fmt(metric, row['mean'])} $\\pm$ {_fmt(metric, row['sd'])}"
    else:
        text = _fmt(metric, row["mean"])
    extra = f", {int(row['n_diverged'])} diverged" if row["n_diverged"] else ""
    return f"{text} (n={int(row['n_ok'])}{extra})"


def variant_macros(
    table: pd.DataFrame, prefix: str, labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Per variant: status counts, label (from ``labels``, else the name), params, and mean/sd/text of every
    final metric and probe."""
    out: dict[str, str] = {}
    labels = labels or {}
    counts = status_counts(table)
    for variant in counts.index:
        name = prefix + macro_name(variant)
        out[name + "Label"] = latex_escape(labels.get(variant, variant))
        out[name + "NRuns"] = str(counts.loc[variant, "n_runs"])
        out[name + "NOk"] = str(counts.loc[variant, "n_ok"])
        out[name + "NDiverged"] = str(counts.loc[variant, "n_diverged"])
        out[name + "Params"] = fmt_params(config_value(table, variant, "model.params"), missing="--")
    for split, metric, summary in _summaries(table):
        for variant, row in summary.iterrows():
            name = prefix + macro_name(variant) + metric_macro(split, metric)
            out[name] = _fmt(metric, row["mean"])
            out[name + "Sd"] = _fmt(metric, row["sd"])
            out[name + "Text"] = mean_sd_text(row, metric)
    return out


def _summaries(table: pd.DataFrame):
    """(split, metric, per-variant summary) for final metrics and for probes (mean over the probe's rows)."""
    if table.empty or "source" not in table:
        return
    metrics = select(table, "metrics")
    for split, metric in metrics[["split", "metric"]].drop_duplicates().itertuples(index=False):
        yield split, metric, summarize(final_values(table, split, metric))
    probes = table.loc[table["source"] != "metrics", ["source", "metric"]].drop_duplicates()
    for source, metric in probes.itertuples(index=False):
        rows = probe_final(table, source, metric)
        per_run = rows.groupby(RUN_KEYS, as_index=False)["value"].mean()
        yield None, metric, summarize(per_run.merge(runs(table), on=RUN_KEYS, how="left"))


def counted(n: int, noun: str) -> str:
    """'1 seed', '3 seeds': a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def seeds_text(runs_table: pd.DataFrame) -> str:
    """'3 seeds', or, where settings ran different numbers of seeds, '3 seeds for 2 and 1 seed for 7'."""
    by_count: dict[int, int] = {}
    for seeds, n in seed_groups(zip(runs_table["variant"], runs_table["seed"], strict=True)):
        by_count[len(seeds)] = by_count.get(len(seeds), 0) + n
    if len(by_count) <= 1:
        return counted(next(iter(by_count), 0), "seed")
    return " and ".join(f"{counted(k, 'seed')} for {n}" for k, n in by_count.items())


def experiment_macros(table: pd.DataFrame, prefix: str) -> dict[str, str]:
    """Counts over the experiment, training length reached and the data it used (always all defined,
    '--' where the table has nothing, so that section prose never meets an undefined macro)."""
    r = runs(table)
    out = {
        prefix + "NSeeds": str(r["seed"].nunique()),
        prefix + "NRuns": str(len(r)),
        prefix + "NVariants": str(r["variant"].nunique()),
        prefix + "NCompleted": str(int((r["status"] == COMPLETED).sum())),
        prefix + "NDiverged": str(int((r["status"] == DIVERGED).sum())),
        prefix + "DataNote": data_note(provenances_from_table(table)),
    }
    # Counts with their noun, in English ("1 seed", "3 seeds"), for prose.
    out[prefix + "NSeedsText"] = seeds_text(r)
    out[prefix + "NRunsText"] = counted(len(r), "run")
    out[prefix + "Steps"] = fmt_int(table["step"].max()) if "step" in table else "--"
    out[prefix + "Epochs"] = fmt_sig(table["epoch"].max()) if "epoch" in table else "--"
    used = "data.used" if "data.used" in table else "data.name"  # what the runs really loaded
    labels = {"Dataset": (used, dataset_label), "DatasetRequested": ("data.requested", dataset_label)}
    labels["DataSource"] = ("data.source", lambda v: DATA_SOURCE_LABELS.get(str(v), str(v)))
    for stem, (column, label) in labels.items():
        values = sorted({label(v) for v in table[column].dropna()}) if column in table else []
        out[prefix + stem] = latex_escape(", ".join(values)) if values else "--"
    # For section titles: the data actually trained on, and the paper's where it stands in for it.
    used_name, requested = out[prefix + "Dataset"], out[prefix + "DatasetRequested"]
    stands_in = requested not in ("--", used_name)
    out[prefix + "DataTitle"] = f"{used_name} (for {requested})" if stands_in else used_name
    return out


def reference_macros(reference: Mapping, prefix: str) -> dict[str, str]:
    """Every scalar of the reference block: table2.net20 -> \\<prefix>RefTableTwoNetTwenty."""
    out: dict[str, str] = {}

    def walk(node: object, path: list[str]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            out[prefix + "Ref" + "".join(macro_name(p) for p in path)] = fmt_number(node)
        elif isinstance(node, str):
            out[prefix + "Ref" + "".join(macro_name(p) for p in path)] = latex_escape(node)

    walk(reference or {}, [])
    return out


def write_macros(
    experiment_name: str,
    table: pd.DataFrame,
    reference: Mapping | None,
    out_tex: Path,
    prefix: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Write ``\\newcommand`` lines for every quotable number of one experiment; returns name -> body.

    ``labels`` maps variants to display names (the paper plug-in's; default: the variant names).
    """
    prefix = prefix or macro_prefix(experiment_name)
    macros = {
        **experiment_macros(table, prefix),
        **variant_macros(table, prefix, labels),
        **reference_macros(reference or {}, prefix),
    }
    lines = [f"% Generated by repro.report.write_macros for {experiment_name}; do not edit."]
    lines += [newcommand(name, body) for name, body in macros.items()]
    write_text(Path(out_tex), "\n".join(lines) + "\n")
    return macros
