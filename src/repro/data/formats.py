"""Checksums and readers for the raw formats: IDX (MNIST family) and CIFAR's python pickles."""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
import zlib
from importlib.resources.abc import Traversable
from pathlib import Path

import numpy as np
import torch

from repro.data.specs import DatasetSpec, FileSpec

Readable = Path | Traversable
_CHUNK = 1 << 20
_IDX_UBYTE = 0x08  # IDX type code of unsigned bytes, the only type the MNIST family uses


class DataFormatError(ValueError):
    """A raw file does not have the layout its format requires."""


def file_md5(path: Readable) -> str:
    """Hex md5 of a file's bytes, read in chunks."""
    digest = hashlib.md5()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def gunzip_md5(path: Readable) -> str | None:
    """Hex md5 of a .gz file's decompressed bytes; None if it is not valid gzip."""
    digest = hashlib.md5()
    try:
        with path.open("rb") as raw, gzip.GzipFile(fileobj=raw) as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return digest.hexdigest()


def check_file(path: Readable, spec: FileSpec) -> tuple[str | None, str]:
    """Verify ``path`` against ``spec``: (name of the check that passed or None, the file's own md5)."""
    md5 = file_md5(path)
    if md5 == spec.md5:
        return "md5", md5
    if spec.content_md5 is None:
        return None, md5
    # A .gz copy is checked by its decompressed bytes; a plain copy is already decompressed.
    content = gunzip_md5(path) if path.name.endswith(".gz") else md5
    ok = content == spec.content_md5
    return ("content md5" if ok else None), md5


def candidate_names(spec: FileSpec) -> list[str]:
    """Names a copy of ``spec`` may have: its own, and without .gz (a decompressed copy)."""
    names = [spec.name]
    if spec.content_md5 is not None and spec.name.endswith(".gz"):
        names.append(spec.name[: -len(".gz")])
    return names


def parse_idx(data: bytes, what: str = "IDX data") -> np.ndarray:
    """Decode IDX bytes (unsigned-byte type) to a uint8 array, validating magic number and size."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataFormatError(f"{what}: not an IDX file (bad magic number {data[:4].hex()})")
    if data[2] != _IDX_UBYTE:
        raise DataFormatError(f"{what}: IDX type 0x{data[2]:02x} is not unsigned byte (0x08)")
    ndim = data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise DataFormatError(f"{what}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    expected = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != expected:
        raise DataFormatError(f"{what}: IDX dims {dims} need {expected} bytes, found {len(data) - header}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def read_idx(path: Readable) -> np.ndarray:
    """Read an IDX file, gzipped (by its .gz name) or not."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise DataFormatError(f"{path}: not valid gzip ({err})") from err
    return parse_idx(data, str(path))


def read_idx_pair(images_path: Readable, labels_path: Readable, num_classes: int) -> tuple[np.ndarray, ...]:
    """Images (N,1,H,W uint8) and labels (N int64) from an IDX images/labels file pair."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DataFormatError(f"{images_path}: expected 3 IDX dims (N,H,W), found shape {images.shape}")
    if labels.ndim != 1:
        raise DataFormatError(f"{labels_path}: expected 1 IDX dim (N), found shape {labels.shape}")
    if len(images) != len(labels):
        raise DataFormatError(f"{images_path}: {len(images)} images but {len(labels)} labels")
    _check_labels(labels, num_classes, labels_path)
    return images[:, None], labels.astype(np.int64)


def read_cifar_batch(path: Readable, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Images (N,3,32,32 uint8) and labels (N int64) from one CIFAR python batch."""
    # Unpickling runs code from the file, so callers verify its md5 first (fetch_dataset does).
    batch = pickle.loads(path.read_bytes(), encoding="latin1")
    if not isinstance(batch, dict) or "data" not in batch or "labels" not in batch:
        raise DataFormatError(f"{path}: not a CIFAR-10 batch (needs 'data' and 'labels')")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise DataFormatError(f"{path}: CIFAR data must be uint8 (N, 3072), found {data.dtype} {data.shape}")
    if len(data) != len(labels):
        raise DataFormatError(f"{path}: {len(data)} images but {len(labels)} labels")
    _check_labels(labels, num_classes, path)
    return data.reshape(-1, 3, 32, 32), labels


def _check_labels(labels: np.ndarray, num_classes: int, where: object) -> None:
    """Labels must be class indices in [0, num_classes)."""
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataFormatError(f"{where}: labels outside [0, {num_classes})")


def build_tensors(spec: DatasetSpec, train: list[Readable], test: list[Readable]) -> dict[str, torch.Tensor]:
    """Parse the verified raw files (in spec order) into the tensors.pt dictionary."""
    out: dict[str, torch.Tensor] = {}
    for split, paths in (("train", train), ("test", test)):
        if spec.format == "idx":
            x, y = read_idx_pair(paths[0], paths[1], spec.num_classes)
        elif spec.format == "cifar":
            parts = [read_cifar_batch(p, spec.num_classes) for p in paths]
            x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        else:
            raise ValueError(f"unknown dataset format '{spec.format}'")
        if x.shape[1:] != (spec.channels, spec.size, spec.size):
            raise DataFormatError(f"{spec.name} {split}: image shape {x.shape[1:]} is not the spec's")
        # Copy: frombuffer arrays are read-only, and torch wants writable memory it owns.
        out[f"{split}_x"] = torch.from_numpy(np.ascontiguousarray(x).copy())
        out[f"{split}_y"] = torch.from_numpy(y.copy())
    return out
