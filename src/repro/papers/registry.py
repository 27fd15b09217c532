"""The paper registry: a paper's figures, tables, labels and setup rows, as its plug-in registers them.

Plug-ins import this module, never :mod:`repro.papers` (which finds and imports the plug-ins), so that no
plug-in imports the code that loads it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

FigureFunction = Callable[[pd.DataFrame, Path], None]

TableFunction = Callable[[pd.DataFrame, Mapping[str, Any], Path], Path]

LabelFunction = Callable[[str, Mapping[str, Any]], str]

SetupRow = tuple[str, list[tuple[str, str]]]  # (row label, [(template, dotted config key), ...])


class PluginError(KeyError):
    """A paper, figure or table that no plug-in registers; the message lists the valid names."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class Paper:
    """One paper's exhibits and words, filled in by its plug-in at import time."""

    key: str
    module: str = ""  # the plug-in module that registered it (for error messages)
    figures: dict[str, FigureFunction] = field(default_factory=dict)
    tables: dict[str, TableFunction] = field(default_factory=dict)
    label: LabelFunction | None = None
    setup_rows: dict[str, SetupRow] = field(default_factory=dict)
    value_texts: dict[str, dict[object, str]] = field(default_factory=dict)

    def figure(self, name: str) -> Callable[[FigureFunction], FigureFunction]:
        """Decorator: register ``fn(table, out_pdf)`` as the figure ``name`` (figures/<name>.pdf)."""
        return lambda fn: self._add(self.figures, "figure", name, fn)

    def table(self, name: str) -> Callable[[TableFunction], TableFunction]:
        """Decorator: register ``fn(table, experiment, out_tex)`` as the table ``name``."""
        return lambda fn: self._add(self.tables, "table", name, fn)

    def labels(self, fn: LabelFunction) -> LabelFunction:
        """Decorator: ``fn(variant, flat config)`` gives the display name of a variant (legends, tables)."""
        self.label = fn
        return fn

    def variant_label(self, variant: str, config: Mapping[str, Any] | None = None) -> str:
        """The display name of ``variant`` (its name when the plug-in gives none)."""
        return self.label(variant, config or {}) if self.label else variant

    def _add(self, registry: dict, kind: str, name: str, fn: Callable) -> Callable:
        # Output files are named by the exhibit alone, so a name must be unique over all papers.
        owner = next(
            (p.key for p in PAPERS.values() if name in getattr(p, f"{kind}s") and p is not self), None
        )
        if owner is not None:
            raise ValueError(
                f"{kind} '{name}' of paper '{self.key}' is already registered by paper '{owner}'"
            )
        registry[name] = fn
        return fn


PAPERS: dict[str, Paper] = {}


def register(key: str) -> Paper:
    """Create and register the paper ``key``; call once, at the top of its plug-in module."""
    module = sys._getframe(1).f_globals.get("__name__", "")
    existing = PAPERS.get(key)
    if existing is not None and existing.module != module:
        raise ValueError(f"paper '{key}' is registered twice: by {existing.module} and by {module}")
    PAPERS[key] = Paper(key=key, module=module)  # a reloaded module starts its paper afresh
    return PAPERS[key]


def variant_configs(table: pd.DataFrame, experiment: Mapping[str, Any] | None = None) -> dict[str, dict]:
    """Per variant, its flat config: the tidy table's config columns, else what the experiment file declares.

    Variants that did not run (e.g. nets a paper tabulates but this scale skips) get ``base`` merged with
    their entry under ``variants`` in the experiment file, so labels never have to parse a variant's name.
    """
    from repro.config import deep_merge
    from repro.tables import flatten

    out: dict[str, dict] = {}
    experiment = experiment or {}
    for variant, overrides in (experiment.get("variants") or {}).items():
        out[str(variant)] = flatten(deep_merge(experiment.get("base") or {}, overrides or {}))
    if not table.empty and "variant" in table:
        columns = [c for c in table.columns if "." in c]
        for variant, row in table.groupby("variant")[columns].first().iterrows():
            ran = {c: v for c, v in row.items() if not (isinstance(v, float) and pd.isna(v))}
            out[str(variant)] = {**out.get(str(variant), {}), **ran}
    return out


def variant_labels(
    paper: Paper | None, table: pd.DataFrame, experiment: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Display name of every variant the table or the experiment file knows, from the paper's labels."""
    configs = variant_configs(table, experiment)
    return {v: paper.variant_label(v, c) if paper else v for v, c in configs.items()}
