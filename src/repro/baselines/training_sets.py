"""Which training sets an experiment's runs train on: the data config less augmentation, grouped over runs.

Pad-and-crop and flips change the batches a net sees, not the images it is given, and the data root only
says where the files live; every other data key (the dataset after substitution, the subsets, the seed
that draws them, the validation split, the normalisation, a generated dataset's options) defines the set.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from repro.config import DataConfig

FLOOR_KIND = "linear_classifier"  # the experiment file's `floor.kind` that asks for a fitted floor
NOT_DEFINING = ("pad", "flip", "root")  # data keys that do not change which images are trained on


@dataclass(frozen=True)
class TrainingSet:
    """One distinct training set of an experiment: a readable id, its data keys, the variants on it."""

    id: str
    data: dict[str, Any]  # DataConfig fields less NOT_DEFINING
    variants: tuple[str, ...]
    root: str = "data"  # where the dataset's tensors live (the runs' data.root)

    def data_config(self) -> DataConfig:
        """A DataConfig that loads exactly this set (no augmentation: it is not part of the set)."""
        return DataConfig(**self.data, root=self.root, pad=0, flip=False)

    def run_config(self) -> SimpleNamespace:
        """The stand-in for a RunConfig that repro.data.prepare.prepare_data reads (only ``.data``)."""
        return SimpleNamespace(data=self.data_config())

    def to_params(self) -> dict[str, Any]:
        """Plain JSON-able form: a Snakemake rule's params, so a change of subset reruns the fit."""
        return {"id": self.id, "data": dict(self.data), "variants": list(self.variants), "root": self.root}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> TrainingSet:
        """The inverse of :meth:`to_params`."""
        return cls(
            id=str(params["id"]), data=dict(params["data"]), variants=tuple(params["variants"]),
            root=str(params.get("root", "data")),
        )  # fmt: skip


def defining_keys(data: DataConfig) -> dict[str, Any]:
    """The data config fields that define a training set (all but pad, flip and root)."""
    fields = dataclasses.asdict(data)
    return {key: value for key, value in fields.items() if key not in NOT_DEFINING}


def readable_id(data: Mapping[str, Any]) -> str:
    """'cifar10_train10000_test2000_seed0' (+ '_val5000', '_nonorm', a hash of generated options)."""
    train = data.get("train_subset")
    test = data.get("test_subset")
    parts = [str(data["name"]), f"train{train if train is not None else 'all'}"]
    parts.append(f"test{test if test is not None else 'all'}")
    parts.append(f"seed{data.get('subset_seed', 0)}")
    if data.get("downsample", 1) > 1:
        parts.append(f"ds{data['downsample']}")
    if data.get("val_size"):
        parts.append(f"val{data['val_size']}")
    if data.get("normalize", "per_pixel_mean") != "per_pixel_mean":
        parts.append("nonorm" if data["normalize"] == "none" else str(data["normalize"]))
    if data.get("options"):
        parts.append(_digest(data["options"]))
    return "_".join(parts)


def _digest(value: Any) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:8]


def has_floor(experiment: Any) -> bool:
    """Whether the experiment file asks for a fitted floor (``floor: {kind: linear_classifier}``)."""
    return (experiment.raw.get("floor") or {}).get("kind") == FLOOR_KIND


def training_sets(experiment: Any, scale: str, runs: Iterable[Any]) -> list[TrainingSet]:
    """The distinct training sets ``runs`` (repro.experiments.Run) of ``experiment`` use at ``scale``.

    In the order the runs first use them; each lists its variants in run order. Empty when the
    experiment's ``floor.kind`` is not linear_classifier (its file says why no floor applies).
    """
    if not has_floor(experiment):
        return []
    groups: dict[str, dict[str, Any]] = {}
    variants: dict[str, list[str]] = {}
    roots: dict[str, str] = {}
    for run in runs:
        if run.scale != scale:
            where = f"{run.experiment}/{run.variant}/seed{run.seed}"
            raise ValueError(f"run {where} is at scale {run.scale}, not {scale}")
        data = defining_keys(run.config.data)
        key = json.dumps(data, sort_keys=True, default=str)
        groups.setdefault(key, data)
        roots.setdefault(key, run.config.data.root)
        if run.variant not in variants.setdefault(key, []):
            variants[key].append(run.variant)
    ids = [readable_id(data) for data in groups.values()]
    out = []
    for (key, data), name in zip(groups.items(), ids, strict=True):
        # Two sets differing only in a key the id leaves out (e.g. the paper's dataset name) stay apart.
        unique = name if ids.count(name) == 1 else f"{name}_{_digest(data)}"
        out.append(TrainingSet(unique, data, tuple(variants[key]), roots[key]))
    return out
