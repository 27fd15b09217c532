"""A run's dataset as tensors on its device: loaded or generated, subset, validation split, mean, dtype."""

from __future__ import annotations

import torch

from repro.data.generated import build_generated, is_generated
from repro.data.tensors import (
    DatasetTensors,
    downsample,
    load_tensors,
    per_pixel_mean,
    split_validation,
    take_subset,
)
from repro.paths import tensors_path


def prepare_data(cfg, device: torch.device, dtype: torch.dtype = torch.float32) -> DatasetTensors:
    """Load (or generate) ``cfg.data``, take the subsets, downsample, split validation, subtract the mean.

    Inputs (and float regression targets) are cast to ``dtype`` first, so float64 runs compute the mean in
    float64; for float32 file datasets the cast is the identity.
    """
    if is_generated(cfg.data.name):
        data = build_generated(cfg.data.name, cfg.data.options)
        data.train_x, data.train_y = data.train_x.to(device), data.train_y.to(device)
        data.test_x, data.test_y = data.test_x.to(device), data.test_y.to(device)
    else:
        data = load_tensors(tensors_path(cfg.data.root, cfg.data.name), device)
    data.train_x, data.train_y = cast(data.train_x, dtype), cast(data.train_y, dtype)
    data.test_x, data.test_y = cast(data.test_x, dtype), cast(data.test_y, dtype)
    if cfg.data.train_subset is not None:
        data.train_x, data.train_y = take_subset(
            data.train_x, data.train_y, cfg.data.train_subset, cfg.data.subset_seed
        )
    if cfg.data.test_subset is not None:
        data.test_x, data.test_y = take_subset(data.test_x, data.test_y, cfg.data.test_subset, cfg.data.subset_seed)
    if cfg.data.downsample > 1:
        data = downsample(data, cfg.data.downsample)
    if cfg.data.val_size:
        data = split_validation(data, cfg.data.val_size, cfg.data.subset_seed)
    if cfg.data.normalize == "per_pixel_mean":
        mean = per_pixel_mean(data.train_x)  # from the training images only
        data.train_x = data.train_x - mean
        data.test_x = data.test_x - mean
        if data.val_x is not None:
            data.val_x = data.val_x - mean
    elif cfg.data.normalize != "none":
        raise ValueError(f"unknown data.normalize '{cfg.data.normalize}'; valid: per_pixel_mean, none")
    return data


def cast(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``t`` in ``dtype`` when it holds floats (inputs, regression targets); labels stay int64."""
    return t.to(dtype) if t.is_floating_point() else t
