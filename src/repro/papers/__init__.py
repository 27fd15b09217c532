"""Paper plug-ins: each paper's figures, tables, variant labels and setup-table rows, registered by name.

A plug-in is one module (or a small package) per paper. It creates its paper with :func:`register` (from
:mod:`repro.papers.registry`, the module below this one: a built-in plug-in never imports the package that
loads it; an external plug-in file may use the re-export ``repro.papers.register``) and decorates its
functions::

    PAPER = register("he2016")

    @PAPER.figure("he2016_training_curves")        # fn(table, out_pdf) -> None
    def training_curves(table, out_pdf): ...

    @PAPER.table("he2016_table6")                  # fn(table, experiment, out_tex) -> Path
    def table6(table, experiment, out_tex): ...

    @PAPER.labels                                  # fn(variant, flat config) -> display name
    def label(variant, config): ...

    PAPER.setup_rows["depths"] = ("Depths", [("{}", "model.depth")])   # rows of the protocol table
    PAPER.value_texts["model.norm"] = {"group": "GroupNorm"}            # words for config values

Plug-ins are found from an experiment file's ``paper`` block: the file ``paper.plugin`` names (relative
to the workflow's directory) when given, else the built-in module ``repro.papers.<paper.key>``. The
experiment's ``figures:`` and ``tables:`` lists are the only declaration of what it builds;
:func:`repro.papers.exhibits.exhibits_of` checks them against the plug-in when the DAG is built.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import pkgutil
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repro.papers.registry import (  # noqa: F401  (re-exported: external plug-ins call repro.papers.register)
    PAPERS,
    FigureFunction,
    LabelFunction,
    Paper,
    PluginError,
    SetupRow,
    TableFunction,
    register,
    variant_configs,
    variant_labels,
)

BUILTIN = __name__


def builtin_keys() -> list[str]:
    """Keys of the plug-ins shipped in repro.papers: its modules and packages but registry and '_' ones."""
    here = [str(Path(__file__).parent)]
    return sorted(
        m.name for m in pkgutil.iter_modules(here) if not m.name.startswith("_") and m.name != "registry"
    )


def find(key: str) -> Paper | None:
    """The paper ``key``: already registered, or from its built-in plug-in; None when it has none."""
    if key not in PAPERS and key in builtin_keys():
        importlib.import_module(f"{BUILTIN}.{key}")
    return PAPERS.get(key)


def load(key: str, plugin: str | Path | None = None) -> Paper | None:
    """The paper ``key``, importing its plug-in first: the file ``plugin`` if given, else the built-in one."""
    if plugin is None:
        return find(key)
    path = Path(plugin).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"plug-in file {path} of paper '{key}' does not exist")
    # One module per file, whatever its name: two plug-ins may share a file name in different folders.
    stem = re.sub(r"\W", "_", path.stem)
    name = f"repro_plugin_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    if key not in PAPERS:
        raise PluginError(
            f"plug-in {path} does not register paper '{key}' (call repro.papers.register('{key}'))"
        )
    return PAPERS[key]


def load_builtins() -> dict[str, Paper]:
    """Import every built-in plug-in; returns all registered papers."""
    for key in builtin_keys():
        find(key)
    return dict(PAPERS)


def all_figures() -> dict[str, FigureFunction]:
    """Every registered figure (built-ins imported first): name -> function."""
    return {name: fn for paper in load_builtins().values() for name, fn in paper.figures.items()}


def all_tables() -> dict[str, TableFunction]:
    """Every registered table (built-ins imported first): name -> function."""
    return {name: fn for paper in load_builtins().values() for name, fn in paper.tables.items()}


def figure_function(name: str, paper: str | None = None) -> FigureFunction:
    """The figure ``name`` of ``paper`` (or of any paper); an unknown name lists the valid ones."""
    return _lookup("figure", name, paper)


def table_function(name: str, paper: str | None = None) -> TableFunction:
    """The table ``name`` of ``paper`` (or of any paper); an unknown name lists the valid ones."""
    return _lookup("table", name, paper)


def _lookup(kind: str, name: str, paper: str | None) -> Callable:
    if paper is not None:
        found = find(paper)
        registry = getattr(found, f"{kind}s") if found else {}
        where = f"paper '{paper}'"
    else:
        registry = all_figures() if kind == "figure" else all_tables()
        where = "any paper"
    if name not in registry:
        raise PluginError(
            f"unknown {kind} '{name}' in {where}; valid: {', '.join(sorted(registry)) or 'none'}"
        )
    return registry[name]


def module_files(module: str) -> list[str]:
    """The source files of an importable module, or of every module of a package (rule inputs)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise PluginError(f"no module {module}")
    if spec.submodule_search_locations:
        folder = Path(spec.origin).parent
        return sorted(str(p) for p in folder.rglob("*.py") if "__pycache__" not in p.parts)
    return [spec.origin]


@dataclass(frozen=True)
class Exhibits:
    """What one experiment builds, and the plug-in that draws it (for rule inputs and params)."""

    experiment: str
    paper: str
    plugin: str | None  # an external plug-in file (None: the built-in repro.papers.<paper>, or none)
    files: tuple[str, ...]  # the plug-in's source files, so that editing them redraws its exhibits
    figures: tuple[str, ...]
    tables: tuple[str, ...]


def plugin_path(raw: Mapping[str, Any], basedir: str | Path) -> Path | None:
    """The plug-in file an experiment names in ``paper.plugin`` (relative to ``basedir``), or None."""
    plugin = (raw.get("paper") or {}).get("plugin")
    if not plugin:
        return None
    path = Path(plugin)
    return (path if path.is_absolute() else Path(basedir) / path).resolve()


def exhibits_of(experiment: Any, basedir: str | Path) -> Exhibits:
    """Check an experiment's ``figures:`` and ``tables:`` against its paper's plug-in (ConfigError if not).

    ``experiment`` is a :class:`repro.experiments.Experiment` (its ``raw`` document and ``path``).
    """
    from repro.errors import ConfigError

    raw, where = experiment.raw, experiment.path
    key = str((raw.get("paper") or {}).get("key"))
    external = plugin_path(raw, basedir)
    try:
        paper = load(key, external)
    except (FileNotFoundError, PluginError) as error:
        raise ConfigError(f"key 'paper.plugin' in {where}: {error}") from None
    for kind in ("figure", "table"):
        registered = getattr(paper, f"{kind}s") if paper else {}
        for name in raw.get(f"{kind}s") or []:
            if name not in registered:
                origin = f"its plug-in {paper.module}" if paper else f"no plug-in (no module {BUILTIN}.{key})"
                raise ConfigError(
                    f"unknown {kind} '{name}' in key '{kind}s' of {where}: paper '{key}' has {origin}; "
                    f"valid {kind}s: {sorted(registered) or 'none'}"
                )
    if external is not None:
        files: tuple[str, ...] = (str(external),)
    else:
        files = tuple(module_files(f"{BUILTIN}.{key}")) if key in builtin_keys() else ()
    return Exhibits(
        experiment=experiment.name, paper=key, plugin=str(external) if external else None, files=files,
        figures=tuple(raw.get("figures") or []), tables=tuple(raw.get("tables") or []),
    )  # fmt: skip


def collect_exhibits(experiments: Mapping[str, Any], basedir: str | Path) -> dict[str, Exhibits]:
    """:func:`exhibits_of` for every experiment; two experiments may not declare the same figure or table."""
    from repro.errors import ConfigError

    out = {name: exhibits_of(exp, basedir) for name, exp in experiments.items()}
    owners: dict[str, str] = {}
    for name, ex in out.items():
        for exhibit in (*ex.figures, *ex.tables):
            if exhibit in owners and owners[exhibit] != name:
                raise ConfigError(f"'{exhibit}' is declared by experiments '{owners[exhibit]}' and '{name}'")
            owners[exhibit] = name
    return out
