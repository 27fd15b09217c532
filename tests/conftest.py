"""Shared fixtures: a tiny synthetic dataset in the pipeline's tensor-cache format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def write_tiny_dataset(
    root: Path, name: str = "tiny", n_train: int = 256, n_test: int = 64, size: int = 8
) -> Path:
    """Write data/{name}/tensors.pt + provenance.json: 2 classes told apart by image brightness."""
    g = torch.Generator().manual_seed(0)

    def make(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.randint(0, 2, (n,), generator=g)
        base = torch.randint(0, 120, (n, 1, size, size), generator=g)
        x = (base + 100 * y.view(-1, 1, 1, 1)).clamp(0, 255).to(torch.uint8)
        return x, y

    train_x, train_y = make(n_train)
    test_x, test_y = make(n_test)
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"train_x": train_x, "train_y": train_y, "test_x": test_x, "test_y": test_y}, folder / "tensors.pt"
    )
    provenance = {
        "requested": name,
        "dataset": name,
        "source": "cache",
        "files": {},
        "note": "synthetic test data",
    }
    (folder / "provenance.json").write_text(json.dumps(provenance))
    return folder / "tensors.pt"


@pytest.fixture
def tiny_data_root(tmp_path: Path) -> Path:
    """A data root holding the synthetic dataset 'tiny'."""
    root = tmp_path / "data"
    write_tiny_dataset(root)
    return root
