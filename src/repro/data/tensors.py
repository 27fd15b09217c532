"""Datasets as tensors on the device: loading, subsets, validation splits, mean, batch augmentation."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F


@dataclass
class DatasetTensors:
    """A whole dataset on one device; images float32 in [0, 1], shape (N, C, H, W); labels int64."""

    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    channels: int
    size: int
    provenance: dict[str, Any] = field(default_factory=dict)
    val_x: torch.Tensor | None = None  # set by split_validation
    val_y: torch.Tensor | None = None


CHECKSUM_KEY = "tensors_sha256"  # in provenance.json: the checksum of tensors.pt, recorded when written


class DataCorruptError(RuntimeError):
    """A tensor cache (data/{dataset}/tensors.pt) is unreadable or does not match its recorded checksum."""


def tensors_checksum(path: Path | str) -> str:
    """The sha256 of a tensors.pt file, as recorded in provenance.json."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def tensors_problem(path: Path | str) -> str | None:
    """Why the tensor cache at ``path`` cannot be trusted (missing, truncated, checksum), or None if sound."""
    path = Path(path)
    if not path.is_file():
        return "it does not exist"
    if not zipfile.is_zipfile(path):  # torch.save writes a zip; a truncated one lacks its central directory
        return "it is truncated or not a torch file"
    prov_path = path.with_name("provenance.json")
    try:
        recorded = json.loads(prov_path.read_text()).get(CHECKSUM_KEY) if prov_path.is_file() else None
    except ValueError:
        return f"{prov_path.name} beside it is not valid JSON"
    # Caches written before checksums were recorded are only checked for being readable.
    if recorded is not None and tensors_checksum(path) != recorded:
        return f"its sha256 differs from the {CHECKSUM_KEY} recorded in {prov_path.name}"
    return None


def _set_aside(path: Path, why: str) -> DataCorruptError:
    """Move a bad cache aside (so that the next run fetches it again) and return the error naming both."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
    try:
        path.replace(aside)  # jobs that already loaded it keep their open copy; new ones see it missing
        moved = f"It was moved aside to {aside.name}; rerun and snakemake fetches it again"
    except OSError:
        moved = f"Delete it (and {path.with_name('provenance.json').name}) and rerun"
    return DataCorruptError(
        f"tensor cache {path} is corrupt: {why}. {moved} (rule fetch_dataset; `python -m repro.train` "
        "does so itself)"
    )


def load_tensors(path: Path | str, device: torch.device | str = "cpu") -> DatasetTensors:
    """Load a tensors.pt written by fetch_dataset (and the provenance.json beside it) onto ``device``."""
    path = Path(path)
    problem = tensors_problem(path) if path.exists() else None  # a missing file: open() names it below
    if problem:
        raise _set_aside(path, problem)
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as err:  # zip, pickle and storage errors alike mean the bytes are bad
        raise _set_aside(path, f"torch cannot read it ({str(err).strip().splitlines()[0]})") from err
    prov_path = path.with_name("provenance.json")
    provenance = json.loads(prov_path.read_text()) if prov_path.is_file() else {}

    def images(x: torch.Tensor) -> torch.Tensor:
        # Move as uint8 (4x less to copy), convert on the device.
        return x.to(device).float().div_(255.0)

    train_x = images(data["train_x"])
    num_classes = provenance.get("num_classes") or int(data["train_y"].max()) + 1
    return DatasetTensors(
        train_x=train_x,
        train_y=data["train_y"].to(device=device, dtype=torch.int64),
        test_x=images(data["test_x"]),
        test_y=data["test_y"].to(device=device, dtype=torch.int64),
        num_classes=int(num_classes),
        channels=int(train_x.shape[1]),
        size=int(train_x.shape[2]),
        provenance=provenance,
    )


def balanced_order(y: torch.Tensor, seed: int) -> torch.Tensor:
    """A seeded permutation of indices that cycles through the classes (round robin, random within each).

    Any prefix of it is class-balanced (counts differ by at most one while every class has examples left),
    and prefixes are nested: a smaller subset is contained in a larger one with the same seed.
    """
    # Generated on the CPU so the result does not depend on the device.
    y = y.cpu()
    n = len(y)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    if y.is_floating_point():  # regression targets have no classes: a plain seeded permutation
        return perm
    permuted = y[perm]
    by_class = torch.argsort(permuted, stable=True)
    counts = torch.bincount(permuted)
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.empty(n, dtype=torch.int64)
    rank[by_class] = torch.arange(n) - starts[permuted[by_class]]  # position within its class
    return perm[torch.argsort(rank * n + torch.arange(n))]


def take_subset(
    x: torch.Tensor, y: torch.Tensor, n: int | None, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """A deterministic class-balanced subset of ``n`` examples in their original order (all if n is None)."""
    if n is None or n >= len(y):
        return x, y
    if n < 0:
        raise ValueError(f"subset size must be >= 0, got {n}")
    idx = balanced_order(y, seed)[:n].sort().values.to(y.device)
    return x[idx], y[idx]


def downsample(ds: DatasetTensors, factor: int) -> DatasetTensors:
    """Average-pool the train and test images by ``factor`` (28x28 -> 14x14 at 2), in one call per split.

    Pooling averages each factor x factor block, so an image keeps its mean intensity; rows and columns
    past the last whole block are dropped (none for 28 or 32 at factor 2 or 4).
    """
    if factor < 1:
        raise ValueError(f"downsample factor must be >= 1, got {factor}")
    if factor == 1:
        return ds
    if ds.train_x.dim() != 4 or ds.size < factor:
        raise ValueError(f"downsample needs (N, C, H, W) images of at least {factor} pixels")
    ds.train_x = F.avg_pool2d(ds.train_x, factor)
    ds.test_x = F.avg_pool2d(ds.test_x, factor)
    ds.size = int(ds.train_x.shape[2])
    return ds


def split_validation(ds: DatasetTensors, val_size: int, seed: int) -> DatasetTensors:
    """Hold out ``val_size`` class-balanced training examples as ds.val_x/val_y (deterministic by seed)."""
    if val_size <= 0:
        return ds
    if val_size >= len(ds.train_y):
        raise ValueError(f"val_size {val_size} leaves no training data (train has {len(ds.train_y)})")
    order = balanced_order(ds.train_y, seed).to(ds.train_y.device)
    val_idx, train_idx = order[:val_size].sort().values, order[val_size:].sort().values
    provenance = ds.provenance | {"validation": {"size": val_size, "seed": seed, "rule": "class-balanced"}}
    return dataclasses.replace(
        ds,
        train_x=ds.train_x[train_idx],
        train_y=ds.train_y[train_idx],
        val_x=ds.train_x[val_idx],
        val_y=ds.train_y[val_idx],
        provenance=provenance,
    )


def per_pixel_mean(x: torch.Tensor) -> torch.Tensor:
    """The (C, H, W) mean image of a training set; the papers subtract it from train and test images."""
    return x.mean(dim=0)


def augment_batch(
    x: torch.Tensor, pad: int, flip: bool, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Random ``pad``-pixel zero-pad-and-crop and horizontal flip of a whole (N, C, H, W) batch on its device.

    Each image gets its own offsets in [0, 2*pad] and a fair coin for the flip, drawn from ``generator``
    (on x's device) in a fixed order, so the result is a function of the generator state.
    """
    if pad <= 0 and not flip:
        return x
    n, c, h, w = x.shape
    device = x.device
    rows = torch.arange(h, device=device).expand(n, h)
    cols = torch.arange(w, device=device).expand(n, w)
    if pad > 0:
        x = F.pad(x, (pad, pad, pad, pad))
        rows = rows + torch.randint(0, 2 * pad + 1, (n, 1), device=device, generator=generator)
        cols = cols + torch.randint(0, 2 * pad + 1, (n, 1), device=device, generator=generator)
    if flip:
        # Flipping the crop = reading its columns right to left: fold it into the gather index.
        mirrored = torch.rand(n, 1, device=device, generator=generator) < 0.5
        cols = torch.where(mirrored, cols.flip(1), cols)
    wp = x.shape[3]
    x = x.gather(2, rows[:, None, :, None].expand(n, c, h, wp))
    return x.gather(3, cols[:, None, None, :].expand(n, c, h, w))
