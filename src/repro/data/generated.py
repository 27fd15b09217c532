"""Generated datasets: built in memory from a seed, registered by name beside the file datasets.

A run names one as ``data: {name: gaussian_linear, options: {dim: 8, ...}, pad: 0, flip: false}``; it is
never fetched and has no data/{name}/ folder. A builder returns the same ``DatasetTensors`` as a file
dataset, so the loop is unchanged: vector inputs are shaped (N, dim, 1, 1) (channels = dim, size = 1, which
models flatten back to dim), and ``num_classes`` is the output width. Regression targets are float
(N, out_dim) tensors, to be trained with ``train.loss: sum_squared_error``. Tensors are generated in float64
on the CPU, so the data does not depend on device or dtype; ``prepare_data`` moves and casts them. The data
depend on the options' ``seed`` only, not on the run seed (like ``data.subset_seed``).
"""

from __future__ import annotations

import inspect
import zlib
from collections.abc import Callable
from typing import Any

import torch

from repro.data.tensors import DatasetTensors
from repro.registry import Registry

GENERATED: Registry[Callable[..., DatasetTensors]] = Registry("generated dataset")


def is_generated(name: str) -> bool:
    """Whether dataset ``name`` is generated in memory (no fetch, no tensors.pt)."""
    return name in GENERATED


def build_generated(name: str, options: dict[str, Any]) -> DatasetTensors:
    """Build generated dataset ``name`` with ``options`` (on the CPU, float64)."""
    data = GENERATED.get(name)(**options)
    data.provenance = {"dataset": name, "source": "generated", "options": dict(options), **data.provenance}
    return data


def part_generator(seed: int, part: str) -> torch.Generator:
    """An independent CPU generator per part of a dataset, so e.g. the test set does not move with n_train."""
    return torch.Generator().manual_seed(zlib.crc32(f"{seed}/{part}".encode()))


@GENERATED.register("gaussian_linear")
def gaussian_linear(
    n_train: int = 1000,
    n_test: int = 1000,
    dim: int = 16,
    out_dim: int = 16,
    noise: float = 0.0,
    seed: int = 0,
) -> DatasetTensors:
    """x ~ N(0, I_dim), y = W x + noise * N(0, I_out_dim), with W ~ N(0, 1/dim) fixed by ``seed``.

    The 1/dim variance gives targets of unit variance per output (before noise). W is drawn from its own
    generator, train and test inputs and noise from theirs, so changing n_train keeps W and the test set.
    """
    if min(n_train, n_test, dim, out_dim) <= 0:
        raise ValueError("gaussian_linear: n_train, n_test, dim and out_dim must be positive")
    weight = torch.randn(out_dim, dim, generator=part_generator(seed, "weight"), dtype=torch.float64)
    weight /= dim**0.5

    def split(n: int, part: str) -> tuple[torch.Tensor, torch.Tensor]:
        g = part_generator(seed, part)
        x = torch.randn(n, dim, generator=g, dtype=torch.float64)
        y = x @ weight.T + noise * torch.randn(n, out_dim, generator=g, dtype=torch.float64)
        return x.view(n, dim, 1, 1), y

    train_x, train_y = split(n_train, "train")
    test_x, test_y = split(n_test, "test")
    return DatasetTensors(
        train_x=train_x,
        train_y=train_y,
        test_x=test_x,
        test_y=test_y,
        num_classes=out_dim,
        channels=dim,
        size=1,
        provenance={"task": "regression", "target_weight_fro": float(weight.norm())},
    )


def check_data_options(data: Any, source: str) -> None:
    """Check ``data.options`` against the generated dataset's builder, naming the bad key and the source."""
    from repro.errors import ConfigError

    if not is_generated(data.name):
        if data.options:
            raise ConfigError(
                f"'data.options' in {source} is only for generated datasets ({GENERATED.names()}), "
                f"not '{data.name}'"
            )
        return
    allowed = list(inspect.signature(GENERATED.get(data.name)).parameters)
    for key in data.options:
        if key not in allowed:
            raise ConfigError(
                f"unknown key 'data.options.{key}' for dataset '{data.name}' in {source}; "
                f"valid keys: {allowed}"
            )
    if data.pad or data.flip:
        raise ConfigError(
            f"generated dataset '{data.name}' has no images to augment: set 'data.pad: 0' and "
            f"'data.flip: false' in {source}"
        )
