"""Range checks of a run config: values of the right type that no run can use, caught when the DAG is built.

Each message names the key, the value, the valid range and the file, so a typo such as ``steps: 0`` or
``checkpoint_every: 0`` fails at ``snakemake -n`` instead of giving an empty "completed" run or a crash in
the job. ``check_batch_fits`` is also called at run start, where the training-set size is always known.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from repro.errors import ConfigError

# Counts of steps, images or batches: 0 or less has no meaning (and 0 divides by zero in the loop).
AT_LEAST_ONE = (
    "train.steps",
    "train.batch_size",
    "train.log_every",
    "train.eval_every",
    "train.eval_batch_size",
    "train.train_window",
    "train.checkpoint_every",
    "data.downsample",
)
AT_LEAST_ZERO = ("train.eval_from", "data.val_size", "data.pad", "optim.momentum", "optim.weight_decay")


def _get(cfg: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        cfg = getattr(cfg, part)
    return cfg


def _fail(key: str, value: Any, valid: str, source: str) -> None:
    raise ConfigError(f"key '{key}' in {source} is {value!r}; valid: {valid}")


def check_ranges(cfg: Any, source: str) -> None:
    """Reject impossible values (counts below 1, negative sizes, non-finite rates) and oversized batches."""
    for key in AT_LEAST_ONE:
        if _get(cfg, key) < 1:
            _fail(key, _get(cfg, key), "an integer >= 1", source)
    for key in AT_LEAST_ZERO:
        if not _get(cfg, key) >= 0:  # `not >=` also catches NaN
            _fail(key, _get(cfg, key), "a number >= 0", source)
    if cfg.data.train_subset is not None and cfg.data.train_subset < 1:
        _fail("data.train_subset", cfg.data.train_subset, "an integer >= 1, or null for all images", source)
    if cfg.data.test_subset is not None and cfg.data.test_subset < 1:
        _fail("data.test_subset", cfg.data.test_subset, "an integer >= 1, or null for all images", source)
    if not (math.isfinite(cfg.optim.lr) and cfg.optim.lr >= 0):
        _fail("optim.lr", cfg.optim.lr, "a finite number >= 0", source)
    if not (math.isfinite(cfg.schedule.gamma) and cfg.schedule.gamma > 0):
        _fail("schedule.gamma", cfg.schedule.gamma, "a finite number > 0", source)
    warmup = cfg.schedule.warmup_lr
    if warmup is not None and not (math.isfinite(warmup) and warmup >= 0):
        _fail("schedule.warmup_lr", warmup, "a finite number >= 0, or null for no warm-up", source)
    if any(m < 0 for m in cfg.schedule.milestones):
        _fail("schedule.milestones", cfg.schedule.milestones, "steps >= 0", source)
    check_subset_sizes(cfg.data, source)
    size = known_train_size(cfg.data)
    if size is not None:
        check_batch_fits(cfg, size, source, _size_origin(cfg))


def dataset_sizes(data: Any) -> tuple[int | None, int | None]:
    """(training, test) images of a ``data`` config's whole dataset, when its spec or generator tells."""
    from repro.data.generated import GENERATED
    from repro.data.specs import DATASETS

    if data.name in GENERATED:
        builder = GENERATED.get(data.name)
        sizes = [data.options.get(k, _default_arg(builder, k)) for k in ("n_train", "n_test")]
    elif data.name in DATASETS:
        sizes = [DATASETS.get(data.name).n_train, DATASETS.get(data.name).n_test]
    else:
        sizes = [None, None]
    n_train, n_test = (n if isinstance(n, int) and not isinstance(n, bool) else None for n in sizes)
    return n_train, n_test


def check_subset_sizes(data: Any, source: str) -> None:
    """Subsets no larger than the dataset (a larger one would quietly take all), and a validation split
    that leaves training images."""
    n_train, n_test = dataset_sizes(data)
    dataset = f"dataset '{data.name}'"
    for key, subset, n, part in (
        ("data.train_subset", data.train_subset, n_train, "training"),
        ("data.test_subset", data.test_subset, n_test, "test"),
    ):
        if subset is not None and n is not None and subset > n:
            _fail(key, subset, f"1 to {n}, the {part} images of {dataset}, or null for all of them", source)
    available = n_train if data.train_subset is None else data.train_subset
    if available is not None and data.val_size >= available:
        origin = f"{dataset}" if data.train_subset is None else f"data.train_subset of {dataset}"
        _fail("data.val_size", data.val_size, f"0 to {available - 1}, so that some of the {available} "
              f"training images ({origin}) remain for training", source)  # fmt: skip


def known_train_size(data: Any) -> int | None:
    """Training images a ``data`` config gives, when it alone tells (subset, dataset spec, generator)."""
    n = dataset_sizes(data)[0]
    if data.train_subset is not None:
        n = data.train_subset if n is None else min(n, data.train_subset)
    return None if n is None else n - data.val_size


def _default_arg(builder: Any, name: str) -> Any:
    param = inspect.signature(builder).parameters.get(name)
    return None if param is None else param.default


def _size_origin(cfg: Any) -> str:
    parts = [f"dataset '{cfg.data.name}'"]
    if cfg.data.train_subset is not None:
        parts.append(f"data.train_subset {cfg.data.train_subset}")
    if cfg.data.val_size:
        parts.append(f"less data.val_size {cfg.data.val_size}")
    return ", ".join(parts)


def check_batch_fits(cfg: Any, n_train: int, source: str, origin: str) -> None:
    """A batch larger than the training set would silently train on smaller batches: refuse it."""
    if n_train < 1:
        raise ConfigError(f"the training set of {origin} in {source} is empty ({n_train} images)")
    if cfg.train.batch_size > n_train:
        _fail(
            "train.batch_size",
            cfg.train.batch_size,
            f"1 to {n_train}, the size of the training set ({n_train} images: {origin})",
            source,
        )
