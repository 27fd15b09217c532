"""Probe artifacts: files a probe hands back for figures, written at once, atomically, under the run dir.

A probe returns ``ProbeResult(rows, artifacts={"spectrum.npy": array, "grid.png": image, ...})``; the
artifact called ``NAME.EXT`` of probe ``P`` at step ``s`` goes to ``{run}/probes/P/NAME/step{s:07d}.EXT``,
so one artifact's series over training is one folder (``read_artifacts`` lists it by step). The suffix
picks the format:

- ``.pt``: ``torch.save`` of any object (tensors moved to the CPU);
- ``.npy``: ``numpy.save`` of an array or tensor;
- ``.png``: an image, (H, W), (H, W, C) or (C, H, W) with C in 1, 3, 4; floats are taken to be in [0, 1]
  (clipped), uint8 as is. A grid of images: ``torchvision.utils.make_grid(images)``;
- ``.json``: a JSON-ready object.

Files are written when the probe returns (atomic rename, see ``repro.runio``), not kept in the checkpoint:
after a resume the re-run steps rewrite the same files with the same content, since a probe's output is a
function of the training state and of its own seeded generator.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from repro.runio import atomic_write_bytes, save_torch, write_json

SUFFIXES = (".pt", ".npy", ".png", ".json")
_NAME = re.compile(r"^[A-Za-z0-9_\-]+$")


def artifact_path(run_dir: Path | str, probe: str, step: int, name: str) -> Path:
    """Where artifact ``name`` (``NAME.EXT``) of ``probe`` at ``step`` lives in a run directory."""
    stem, suffix = Path(name).stem, Path(name).suffix
    if suffix not in SUFFIXES or not _NAME.match(stem):
        raise ValueError(
            f"probe {probe}: artifact name {name!r} must be NAME.EXT with NAME of letters, digits, _ or -"
            f" and EXT one of {SUFFIXES}"
        )
    return Path(run_dir) / "probes" / probe / stem / f"step{step:07d}{suffix}"


def read_artifacts(run_dir: Path | str, probe: str, name: str) -> dict[int, Path]:
    """The files of artifact ``name`` of ``probe`` by step, in step order."""
    stem, suffix = Path(name).stem, Path(name).suffix
    folder = Path(run_dir) / "probes" / probe / stem
    found = {int(p.stem.removeprefix("step")): p for p in folder.glob(f"step*{suffix}")}
    return dict(sorted(found.items()))


def write_artifacts(run_dir: Path | str, probe: str, step: int, artifacts: dict[str, Any]) -> list[Path]:
    """Write every artifact of one probe call; returns the paths."""
    paths = []
    for name, value in artifacts.items():
        path = artifact_path(run_dir, probe, step, name)
        _WRITERS[path.suffix](path, value)
        paths.append(path)
    return paths


def _cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cpu(v) for v in value)
    return value


def _write_pt(path: Path, value: Any) -> None:
    save_torch(path, _cpu(value))


def _write_npy(path: Path, value: Any) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(_cpu(value)))
    atomic_write_bytes(path, buffer.getvalue())


def to_uint8_image(value: Any) -> np.ndarray:
    """An image as (H, W) or (H, W, C) uint8: floats in [0, 1] are scaled, (C, H, W) is transposed."""
    array = np.asarray(_cpu(value))
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[2] not in (1, 3, 4):
        array = array.transpose(1, 2, 0)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3):
        raise ValueError(f"an image must be (H, W), (H, W, C) or (C, H, W), got shape {array.shape}")
    if array.dtype != np.uint8:
        array = (np.clip(array.astype(np.float64), 0.0, 1.0) * 255.0).round().astype(np.uint8)
    return array


def _write_png(path: Path, value: Any) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8_image(value)).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


_WRITERS = {".pt": _write_pt, ".npy": _write_npy, ".png": _write_png, ".json": write_json}
