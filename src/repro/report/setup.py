"""The protocol table: what this build ran (from resolved run configs) beside what the paper did."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from repro.report.latex import latex_escape, write_text
from repro.report.provenance import dataset_label, short_note

# slug -> (row label, parts). A part is (template, dotted config key); parts whose key no run config has,
# or whose value is None, are left out. Slugs match the experiment file's `paper_protocol` keys. The core
# covers what every run config has; a paper's plug-in adds rows of its own (placed between the training
# rows and the preprocessing rows), and `paper_protocol` may declare more as {label, paper, config}.
Part = tuple[str, str]
TRAINING_ROWS: dict[str, tuple[str, list[Part]]] = {
    "scale": ("Scale", [("{}", "scale")]),
    "dataset": ("Dataset", []),  # built from data.name and data.requested
    "train_subset": ("Training images", [("{} (fixed subset)", "data.train_subset")]),
    "val_size": ("Validation split", [("{} images held out", "data.val_size")]),
    "steps": ("Training length", [("{} iterations", "train.steps")]),
    "batch_size": ("Batch size", [("{}", "train.batch_size")]),
    "optimizer": (
        "Optimizer",
        [("{}", "optim.name"), ("momentum {}", "optim.momentum"), ("weight decay {}", "optim.weight_decay")],
    ),
    "schedule": (
        "Learning rate",
        [
            ("{}", "optim.lr"),
            ("{}", "schedule.name"),
            ("milestones {}", "schedule.milestones"),
            ("factor {}", "schedule.gamma"),
            ("warm-up at {}", "schedule.warmup_lr"),
            ("factor {}", "schedule.decay_rate"),
            ("per {} iterations", "schedule.decay_every"),
            ("decay {}x faster", "schedule.decay_speedup"),
        ],
    ),
}
DATA_ROWS: dict[str, tuple[str, list[Part]]] = {
    "augmentation": (
        "Preprocessing",
        [("{}", "data.normalize"), ("pad {} and crop", "data.pad"), ("flip: {}", "data.flip")],
    ),
    "seeds": ("Seeds", []),  # count and list of the runs' seeds
}
# Readable text for particular values of a key, used instead of the part's template (plug-ins add more).
VALUE_TEXT: dict[str, dict[object, str]] = {
    "data.train_subset": {None: "full training set"},
    "data.val_size": {0: "none"},
    "data.normalize": {"per_pixel_mean": "per-pixel mean subtracted", "none": "no normalisation"},
    "data.pad": {0: "no pad-and-crop"},
    "optim.name": {"sgd": "SGD"},
    "schedule.name": {"multistep": "multistep", "constant": "constant", "exponential": "exponential decay"},
}


def flatten(config: Mapping, prefix: str = "") -> dict[str, object]:
    """Nested dict -> {'a.b': value}; lists stay values."""
    out: dict[str, object] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _fmt_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_fmt_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fmt_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _part_text(configs: list[dict], template: str, key: str, value_text: Mapping) -> str | None:
    """One part of a row: the distinct values of ``key`` over the configs, or None if none has it."""
    special = value_text.get(key, {})
    texts = []
    for config in configs:
        if key not in config:
            continue
        value = config[key]
        if not isinstance(value, (list, dict)) and value in special and type(value) is not bool:
            texts.append(special[value])
        elif value is not None and value != []:  # an empty list (no milestones) says nothing
            texts.append(template.format(_fmt_value(value)))
    distinct = list(dict.fromkeys(texts))
    return ", ".join(distinct) if distinct else None


def seed_groups(pairs: Iterable[tuple[object, object]]) -> list[tuple[tuple[int, ...], int]]:
    """From (variant, seed) pairs: each set of seeds with the number of settings that ran it, most first."""
    per_variant: dict[str, set[int]] = {}
    for variant, seed in pairs:
        per_variant.setdefault(str(variant), set()).add(int(seed))
    counts = Counter(tuple(sorted(seeds)) for seeds in per_variant.values())
    return sorted(counts.items(), key=lambda item: (-len(item[0]), item[0]))


def seeds_cell(configs: list[dict]) -> str:
    """'3 (0, 1, 2)', or per group of settings where they ran different seeds (`reported_seeds`):
    '3 (0, 1, 2) for 1 setting; 1 (0) for 8 settings'."""
    groups = seed_groups((c.get("variant", ""), c["seed"]) for c in configs if "seed" in c)

    def text(seeds: tuple[int, ...]) -> str:
        return f"{len(seeds)} ({', '.join(map(str, seeds))})"

    if len(groups) <= 1:
        return text(groups[0][0]) if groups else "--"
    return "; ".join(f"{text(seeds)} for {n} setting{'' if n == 1 else 's'}" for seeds, n in groups)


def ours_cell(slug: str, configs: list[dict], parts: list[Part], value_text: Mapping | None = None) -> str:
    """The LaTeX text of this build's protocol for one row ('--' where the configs say nothing)."""
    value_text = VALUE_TEXT if value_text is None else value_text
    if slug == "dataset":
        # Without data.requested the config cannot say whether this is the paper's dataset: name it only.
        notes = [
            short_note(
                {
                    "requested": c["data.requested"],
                    "dataset": c.get("data.used", c["data.name"]),
                    "source": c.get("data.source"),
                }
            )
            if c.get("data.requested")
            else dataset_label(c["data.name"])
            for c in configs
            if "data.name" in c
        ]
        notes = list(dict.fromkeys(notes))
        return latex_escape("; ".join(notes)) if notes else "--"
    if slug == "seeds":
        return seeds_cell(configs)
    texts = [
        t for template, key in parts if (t := _part_text(configs, template, key, value_text)) is not None
    ]
    return latex_escape("; ".join(texts)) if texts else "--"


def setup_table_tex(
    runs_meta: list[dict],
    paper_protocol: Mapping | None,
    out_tex: Path,
    rows: Mapping[str, tuple[str, list[Part]]] | None = None,
    value_text: Mapping[str, Mapping[object, str]] | None = None,
) -> Path:
    """A booktabs tabular of our protocol against the paper's, one row per aspect (scale, data, length, ...).

    ``runs_meta`` are resolved run configs (config.json, nested or dotted). ``paper_protocol`` (the
    experiment file's block) maps a row slug to the paper's text, or any slug to {paper: text, label: row
    label, config: [dotted keys]}. ``rows`` and ``value_text`` are a paper plug-in's additions to the core
    rows and value texts.
    """
    configs = [flatten(c) for c in runs_meta]
    paper_protocol = paper_protocol or {}
    known = {**TRAINING_ROWS, **(rows or {}), **DATA_ROWS}
    texts = {**VALUE_TEXT, **{k: {**VALUE_TEXT.get(k, {}), **v} for k, v in (value_text or {}).items()}}
    slugs = list(dict.fromkeys([*known, *paper_protocol]))
    lines = [
        "% Generated by repro.report.setup_table_tex; do not edit.",
        r"\begin{tabular}{@{}l *{2}{>{\raggedright\arraybackslash}p{6.2cm}}@{}}",
        r"\toprule",
        r" & This build & Paper \\",
        r"\midrule",
    ]
    for slug in slugs:
        entry = paper_protocol.get(slug)
        label, parts = known.get(slug, (slug.replace("_", " ").capitalize(), []))
        if isinstance(entry, Mapping):
            label = entry.get("label", label)
            keys = entry.get("config") or []
            parts = [("{}", key) for key in ([keys] if isinstance(keys, str) else keys)] or parts
            entry = entry.get("paper")
        ours = ours_cell(slug, configs, parts, texts)
        if ours == "--" and entry is None:
            continue  # neither side has anything to say about this aspect
        paper = latex_escape(entry) if entry is not None else "--"
        lines.append(f"{latex_escape(label)} & {ours} & {paper} \\\\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return write_text(Path(out_tex), "\n".join(lines) + "\n")
