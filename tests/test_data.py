"""Tests of repro.data: small IDX/CIFAR files written here, the shipped subset, Debian's Fashion-MNIST."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import logging
import pickle
import socket
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import repro.data.specs as specs
from repro.data import (
    DOWNLOAD_TIMEOUT_S,
    DataFormatError,
    DatasetSpec,
    DatasetTensors,
    DataUnavailableError,
    FileSpec,
    augment_batch,
    fetch_dataset,
    get_spec,
    load_tensors,
    parse_idx,
    per_pixel_mean,
    prepare_data,
    read_cifar_batch,
    read_idx,
    split_validation,
    take_subset,
)
from repro.errors import ConfigError
from repro.registry import Registry

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
IDX_NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


# ---------------------------------------------------------------- helpers: files in the raw formats


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding written independently of the code under test."""
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def md5(path: Path) -> str:
    """Hex md5 of a file."""
    return hashlib.md5(path.read_bytes()).hexdigest()


def make_idx_mirror(
    folder: Path, n_train: int = 30, n_test: int = 10, mtime: int = 0
) -> dict[str, np.ndarray]:
    """Write four tiny gzipped IDX files; return the arrays they hold."""
    rng = np.random.default_rng(0)
    arrays = {
        IDX_NAMES[0]: rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        IDX_NAMES[1]: (np.arange(n_train) % 10).astype(np.uint8),
        IDX_NAMES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        IDX_NAMES[3]: (np.arange(n_test) % 10).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(array), mtime=mtime))
    return arrays


def idx_spec(folder: Path, name: str = "tiny_idx", torchvision_class: str | None = None) -> DatasetSpec:
    """A spec whose expected checksums are those of the files in ``folder``."""
    files = [
        FileSpec(n, md5(folder / n), hashlib.md5(gzip.decompress((folder / n).read_bytes())).hexdigest())
        for n in IDX_NAMES
    ]
    return DatasetSpec(
        name=name,
        channels=1,
        size=28,
        num_classes=10,
        format="idx",
        torchvision_class=torchvision_class,
        train_files=tuple(files[:2]),
        test_files=tuple(files[2:]),
        description="tiny IDX test set",
    )


def make_cifar_mirror(folder: Path, per_batch: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Write CIFAR-format pickles (5 train batches, test batch, meta); return all train images and labels."""
    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    rng = np.random.default_rng(1)
    xs, ys = [], []
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        (batches / name).write_bytes(pickle.dumps({"data": data, "labels": labels}))
        if name != "test_batch":
            xs.append(data.reshape(-1, 3, 32, 32))
            ys.append(labels)
    (batches / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"c{i}" for i in range(10)]}))
    return np.concatenate(xs), np.concatenate(ys)


def cifar_spec(folder: Path, archive: Path | None = None) -> DatasetSpec:
    """A CIFAR-format spec with the md5s of the test's files."""
    batches = folder / "cifar-10-batches-py"

    def fs(name: str) -> FileSpec:
        return FileSpec(f"cifar-10-batches-py/{name}", md5(batches / name))

    return DatasetSpec(
        name="tiny_cifar",
        channels=3,
        size=32,
        num_classes=10,
        format="cifar",
        torchvision_class=None,
        train_files=tuple(fs(f"data_batch_{i}") for i in range(1, 6)),
        test_files=(fs("test_batch"),),
        extra_files=(fs("batches.meta"),),
        archive=FileSpec(archive.name, md5(archive)) if archive else None,
    )


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Registry[DatasetSpec]:
    """An empty dataset registry swapped in for the real one."""
    reg: Registry[DatasetSpec] = Registry("dataset")
    monkeypatch.setattr(specs, "DATASETS", reg)
    return reg


# ---------------------------------------------------------------- registry and formats


def test_unknown_dataset_lists_valid_names() -> None:
    with pytest.raises(KeyError) as err:
        get_spec("imagenet")
    for name in ("mnist", "fashion_mnist", "cifar10", "fashion_mnist_subset"):
        assert name in str(err.value)


def test_checksums_agree_with_torchvision() -> None:
    tv = pytest.importorskip("torchvision.datasets")
    for name, cls in (("mnist", tv.MNIST), ("fashion_mnist", tv.FashionMNIST)):
        assert [(f.name, f.md5) for f in get_spec(name).files] == [tuple(r) for r in cls.resources]
    cifar = get_spec("cifar10")
    expected = [[f"{tv.CIFAR10.base_folder}/{n}", m] for n, m in tv.CIFAR10.train_list + tv.CIFAR10.test_list]
    assert [[f.name, f.md5] for f in cifar.train_files + cifar.test_files] == expected
    assert cifar.extra_files[0].md5 == tv.CIFAR10.meta["md5"]
    assert (cifar.archive.name, cifar.archive.md5) == (tv.CIFAR10.filename, tv.CIFAR10.tgz_md5)


def test_idx_round_trip_gz_and_plain(tmp_path: Path) -> None:
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (tmp_path / "a-idx3-ubyte").write_bytes(idx_bytes(images))
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte.gz"), images)
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte"), images)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x00\x08\x01" + struct.pack(">I", 2) + b"ab", "magic"),
        (b"\x00\x00\x0d\x01" + struct.pack(">I", 2) + b"ab", "type"),
        (b"\x00\x00\x08\x02" + struct.pack(">I", 2), "header"),
        (b"\x00\x00\x08\x01" + struct.pack(">I", 3) + b"ab", "need 3 bytes"),
    ],
)
def test_idx_validation(data: bytes, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        parse_idx(data)


def test_cifar_batch_reader(tmp_path: Path) -> None:
    data = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)
    (tmp_path / "batch").write_bytes(pickle.dumps({"data": data, "labels": [3, 7]}))
    x, y = read_cifar_batch(tmp_path / "batch")
    assert x.shape == (2, 3, 32, 32) and x.dtype == np.uint8
    assert np.array_equal(x[1, 2], data[1, 2048:].reshape(32, 32))  # channel-major rows, as CIFAR stores
    assert y.tolist() == [3, 7]
    (tmp_path / "bad").write_bytes(pickle.dumps({"data": data[:, :100], "labels": [3, 7]}))
    with pytest.raises(DataFormatError, match="3072"):
        read_cifar_batch(tmp_path / "bad")


# ---------------------------------------------------------------- fetch_dataset


def test_fetch_from_mirror_then_cache(tmp_path: Path, registry: Registry[DatasetSpec]) -> None:
    arrays = make_idx_mirror(tmp_path / "mirror")
    registry.register("tiny_idx")(idx_spec(tmp_path / "mirror"))
    root = tmp_path / "data"
    prov = fetch_dataset("tiny_idx", root, tmp_path / "mirror", allow_fallback=False, allow_download=False)
    assert prov["source"] == "mirror" and prov["requested"] == prov["dataset"] == "tiny_idx"
    assert prov["files"] == {n: md5(tmp_path / "mirror" / n) for n in IDX_NAMES}
    assert json.loads((root / "tiny_idx" / "provenance.json").read_text()) == prov
    tensors = torch.load(root / "tiny_idx" / "tensors.pt", weights_only=True)
    assert tensors["train_x"].shape == (30, 1, 28, 28) and tensors["train_x"].dtype == torch.uint8
    assert np.array_equal(tensors["train_x"][:, 0].numpy(), arrays[IDX_NAMES[0]])
    assert tensors["test_y"].dtype == torch.int64 and tensors["test_y"].tolist() == list(range(10))
    again = fetch_dataset("tiny_idx", root, None, allow_fallback=False, allow_download=False)
    assert again["source"] == "cache"
    assert again["origins"][IDX_NAMES[0]].startswith("mirror ")
    assert not list((root / "tiny_idx").glob(".*tmp*")), "temporary files left behind"


def test_corrupt_cache_is_deleted_and_refetched(
    tmp_path: Path, registry: Registry[DatasetSpec], caplog: pytest.LogCaptureFixture
) -> None:
    make_idx_mirror(tmp_path / "mirror")
    registry.register("tiny_idx")(idx_spec(tmp_path / "mirror"))
    root = tmp_path / "data"
    fetch_dataset("tiny_idx", root, tmp_path / "mirror", allow_fallback=False, allow_download=False)
    cached = root / "tiny_idx" / "raw" / IDX_NAMES[0]
    cached.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING, logger="repro.data"):
        prov = fetch_dataset(
            "tiny_idx", root, tmp_path / "mirror", allow_fallback=False, allow_download=False
        )
    assert prov["source"] == "mirror"
    assert md5(cached) == md5(tmp_path / "mirror" / IDX_NAMES[0])
    assert any("corrupt" in r.message and IDX_NAMES[0] in r.message for r in caplog.records)


def test_recompressed_mirror_accepted_by_content_md5_and_bad_file_rejected(
    tmp_path: Path, registry: Registry[DatasetSpec]
) -> None:
    make_idx_mirror(tmp_path / "orig", mtime=0)
    registry.register("tiny_idx")(idx_spec(tmp_path / "orig"))
    make_idx_mirror(tmp_path / "regz", mtime=12345)  # same data, other gzip header (as Debian's copies)
    assert md5(tmp_path / "regz" / IDX_NAMES[0]) != md5(tmp_path / "orig" / IDX_NAMES[0])
    prov = fetch_dataset("tiny_idx", tmp_path / "d1", tmp_path / "regz", False, allow_download=False)
    assert prov["source"] == "mirror" and set(prov["checks"].values()) == {"content md5"}
    bad = tmp_path / "bad"
    make_idx_mirror(bad)
    labels = (np.arange(10) % 10).astype(np.uint8)[::-1].copy()  # same shape, wrong content
    (bad / IDX_NAMES[3]).write_bytes(gzip.compress(idx_bytes(labels), mtime=0))
    with pytest.raises(DataUnavailableError, match=IDX_NAMES[3]):
        fetch_dataset("tiny_idx", tmp_path / "d2", bad, False, allow_download=False)


@pytest.mark.parametrize("layout", ["batches", "tarball"])
def test_cifar_from_mirror(tmp_path: Path, registry: Registry[DatasetSpec], layout: str) -> None:
    src = tmp_path / "src"
    x, y = make_cifar_mirror(src)
    archive = tmp_path / "tar" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    registry.register("tiny_cifar")(cifar_spec(src, archive))
    mirror = src / "cifar-10-batches-py" if layout == "batches" else archive.parent
    prov = fetch_dataset("tiny_cifar", tmp_path / "data", mirror, False, allow_download=False)
    assert prov["source"] == "mirror" and prov["num_train"] == 20 and prov["channels"] == 3
    tensors = torch.load(tmp_path / "data" / "tiny_cifar" / "tensors.pt", weights_only=True)
    assert tensors["train_x"].shape == (20, 3, 32, 32) and tensors["test_x"].shape == (4, 3, 32, 32)
    assert np.array_equal(tensors["train_x"].numpy(), x) and tensors["train_y"].tolist() == y.tolist()


def test_download_uses_torchvision_class_with_timeout(
    tmp_path: Path, registry: Registry[DatasetSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    tv = pytest.importorskip("torchvision.datasets")
    make_idx_mirror(tmp_path / "served")
    registry.register("tiny_idx")(idx_spec(tmp_path / "served", torchvision_class="FakeTiny"))
    seen = {}

    class FakeTiny:  # stands in for torchvision.datasets.MNIST: "downloads" into root/FakeTiny/raw
        def __init__(self, root: str, train: bool, download: bool) -> None:
            seen["timeout"] = socket.getdefaulttimeout()
            raw = Path(root) / "FakeTiny" / "raw"
            raw.mkdir(parents=True)
            for name in IDX_NAMES:
                (raw / name).write_bytes((tmp_path / "served" / name).read_bytes())

    monkeypatch.setattr(tv, "FakeTiny", FakeTiny, raising=False)
    before = socket.getdefaulttimeout()
    prov = fetch_dataset("tiny_idx", tmp_path / "data", None, allow_fallback=False, allow_download=True)
    assert prov["source"] == "download" and prov["num_train"] == 30
    assert seen["timeout"] == DOWNLOAD_TIMEOUT_S and socket.getdefaulttimeout() == before
    assert not (tmp_path / "data" / "tiny_idx" / "_download").exists()


def test_download_errors_are_caught(
    tmp_path: Path, registry: Registry[DatasetSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    tv = pytest.importorskip("torchvision.datasets")
    make_idx_mirror(tmp_path / "m")
    registry.register("tiny_idx")(idx_spec(tmp_path / "m", torchvision_class="FakeTiny"))

    def offline(**kwargs: object) -> None:
        raise TimeoutError("timed out")

    monkeypatch.setattr(tv, "FakeTiny", offline, raising=False)
    with pytest.raises(DataUnavailableError, match="download failed: TimeoutError"):
        fetch_dataset("tiny_idx", tmp_path / "data", None, allow_fallback=False, allow_download=True)


def test_fallback_substitutes_shipped_subset(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="repro.data"):
        prov = fetch_dataset("cifar10", tmp_path, None, allow_fallback=True, allow_download=False)
    assert prov["source"] == "fallback" and prov["requested"] == "cifar10"
    assert prov["dataset"] == "fashion_mnist_subset" and (prov["num_train"], prov["num_test"]) == (
        10000,
        2000,
    )
    warnings = [r.message for r in caplog.records if r.levelno == logging.WARNING]
    assert any("substituting the shipped Fashion-MNIST subset" in m and "cifar10" in m for m in warnings)
    ds = load_tensors(tmp_path / "cifar10" / "tensors.pt", "cpu")
    assert ds.provenance == prov and (ds.channels, ds.size, ds.num_classes) == (1, 28, 10)
    assert torch.bincount(ds.train_y).tolist() == [1000] * 10
    assert torch.bincount(ds.test_y).tolist() == [200] * 10


def test_unavailable_error_names_the_options(tmp_path: Path) -> None:
    with pytest.raises(DataUnavailableError) as err:
        fetch_dataset(
            "cifar10", tmp_path, tmp_path / "no-such-mirror", allow_fallback=False, allow_download=False
        )
    message = str(err.value)
    for hint in (
        "data.mirrors.cifar10",
        "configs/config.yaml",
        "network",
        "--configfile configs/offline.yaml",
    ):
        assert hint in message
    assert not (tmp_path / "cifar10" / "tensors.pt").exists()


def test_shipped_subset_checksums_and_direct_use(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from importlib import resources

    folder = resources.files("repro").joinpath("package_data", "fashion_mnist_subset")
    sums = specs.read_subset_checksums()
    assert sorted(sums) == sorted(IDX_NAMES)
    for name, expected in sums.items():
        assert hashlib.md5(folder.joinpath(name).read_bytes()).hexdigest() == expected
    assert "MIT" in folder.joinpath("PROVENANCE.md").read_text()
    with caplog.at_level(logging.WARNING, logger="repro.data"):
        prov = fetch_dataset("fashion_mnist_subset", tmp_path, None, allow_fallback=False)
    assert prov["dataset"] == prov["requested"] == "fashion_mnist_subset" and not caplog.records


@pytest.mark.skipif(not DEBIAN_FASHION.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
def test_debian_fashion_mnist_mirror(tmp_path: Path) -> None:
    prov = fetch_dataset(
        "fashion_mnist", tmp_path, DEBIAN_FASHION, allow_fallback=False, allow_download=False
    )
    assert prov["source"] == "mirror" and (prov["num_train"], prov["num_test"]) == (60000, 10000)
    # Debian re-gzipped the files, so they verify by the md5 of their decompressed content.
    assert set(prov["checks"].values()) <= {"md5", "content md5"} and len(prov["checks"]) == 4
    ds = load_tensors(tmp_path / "fashion_mnist" / "tensors.pt", "cpu")
    assert ds.train_x.shape == (60000, 1, 28, 28) and torch.bincount(ds.train_y).tolist() == [6000] * 10


# ---------------------------------------------------------------- subsets, splits, mean, augmentation


def make_ds(n: int = 100, classes: int = 10) -> DatasetTensors:
    """A toy dataset of distinct random images with balanced labels."""
    x = torch.rand(n, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    y = torch.arange(n) % classes
    return DatasetTensors(x, y, x[:10], y[:10], classes, 1, 4, {"dataset": "toy"})


def test_take_subset_balanced_deterministic_nested() -> None:
    x = torch.arange(200).float()[:, None]
    y = torch.arange(200) % 4
    xs, ys = take_subset(x, y, 40, seed=3)
    assert torch.bincount(ys).tolist() == [10] * 4
    assert torch.equal(xs, take_subset(x, y, 40, seed=3)[0])
    assert not torch.equal(xs, take_subset(x, y, 40, seed=4)[0])
    small = set(take_subset(x, y, 20, seed=3)[0].flatten().tolist())
    assert small <= set(xs.flatten().tolist())
    assert take_subset(x, y, None, seed=0)[0] is x


def test_downsample_averages_blocks_and_updates_the_size() -> None:
    from repro.data.tensors import downsample

    ds = make_ds()
    train, test = ds.train_x.clone(), ds.test_x.clone()
    small = downsample(ds, 2)
    assert small.size == 2 and small.train_x.shape == (100, 1, 2, 2) and small.test_x.shape == (10, 1, 2, 2)
    # Each output pixel is the mean of its 2x2 block, so an image keeps its mean intensity.
    assert torch.isclose(small.train_x[3, 0, 1, 0], train[3, 0, 2:4, 0:2].mean())
    assert torch.allclose(small.train_x.mean(dim=(2, 3)), train.mean(dim=(2, 3)), atol=1e-6)
    assert torch.allclose(small.test_x.mean(dim=(2, 3)), test.mean(dim=(2, 3)), atol=1e-6)
    assert downsample(make_ds(), 1).size == 4
    with pytest.raises(ValueError, match="downsample factor"):
        downsample(make_ds(), 0)


def test_prepare_data_downsamples_before_the_mean(tiny_data_root: Path) -> None:
    from repro.config import run_config_from_dict

    from .test_train import tiny_config

    raw = tiny_config(tiny_data_root)
    full = prepare_data(run_config_from_dict(raw), torch.device("cpu"))
    raw["data"]["downsample"] = 2
    half = prepare_data(run_config_from_dict(raw), torch.device("cpu"))
    assert half.size == full.size // 2 and half.train_x.shape[0] == full.train_x.shape[0]
    # The per-pixel mean is taken on the downsampled training images, so it is ~0 there.
    assert half.train_x.mean(dim=0).abs().max() < 1e-5
    with pytest.raises(ConfigError, match="data.downsample"):
        run_config_from_dict(raw | {"data": raw["data"] | {"downsample": 0}})


def test_split_validation_disjoint_and_deterministic() -> None:
    ds = make_ds()
    split = split_validation(ds, 20, seed=1)
    train_ids = {tuple(r.flatten().tolist()) for r in split.train_x}
    val_ids = {tuple(r.flatten().tolist()) for r in split.val_x}
    assert len(split.train_y) == 80 and len(split.val_y) == 20
    assert not train_ids & val_ids and len(train_ids | val_ids) == 100
    assert torch.bincount(split.val_y).tolist() == [2] * 10
    assert torch.equal(split.val_x, split_validation(ds, 20, seed=1).val_x)
    assert split.test_x is ds.test_x and split.provenance["validation"]["size"] == 20


def test_per_pixel_mean() -> None:
    x = torch.rand(50, 3, 5, 5)
    mean = per_pixel_mean(x)
    assert mean.shape == (3, 5, 5)
    assert torch.allclose(mean, x.sum(0) / 50)
    assert torch.allclose(per_pixel_mean(x - mean), torch.zeros(3, 5, 5), atol=1e-6)


def arange_batch(n: int, c: int = 2, h: int = 6, w: int = 7) -> torch.Tensor:
    """Images with distinct, non-zero pixels, so zero padding and positions are recognisable."""
    return (torch.arange(c * h * w, dtype=torch.float32) + 1).reshape(1, c, h, w).repeat(n, 1, 1, 1)


def all_shifts(img: torch.Tensor, pad: int) -> list[torch.Tensor]:
    """Every pad-and-crop of one image, by slicing (reference implementation)."""
    h, w = img.shape[-2:]
    padded = F.pad(img, (pad, pad, pad, pad))
    return [padded[:, dy : dy + h, dx : dx + w] for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)]


def test_augment_crops_are_shifts_and_flips_are_flips() -> None:
    x = arange_batch(64)
    out = augment_batch(x, pad=2, flip=True, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == x.dtype
    shifts = all_shifts(x[0], 2)
    flipped = all_shifts(x[0].flip(-1), 2)
    used_flip, used_shift = set(), set()
    for img in out:
        plain = [i for i, s in enumerate(shifts) if torch.equal(img, s)]
        mirrored = [i for i, s in enumerate(flipped) if torch.equal(img, s)]
        assert plain or mirrored, "output is neither a shifted nor a shifted-and-flipped copy"
        used_flip.add(bool(mirrored))
        used_shift.update(plain + mirrored)
    assert used_flip == {True, False} and len(used_shift) > 5


def test_augment_flip_only_and_identity() -> None:
    x = arange_batch(32)
    out = augment_batch(x, pad=0, flip=True, generator=torch.Generator().manual_seed(1))
    is_flip = torch.tensor([torch.equal(o, x[0].flip(-1)) for o in out])
    is_same = torch.tensor([torch.equal(o, x[0]) for o in out])
    assert bool((is_flip | is_same).all()) and 0 < int(is_flip.sum()) < 32
    assert augment_batch(x, pad=0, flip=False, generator=None) is x


def test_augment_deterministic_given_generator() -> None:
    x = torch.rand(16, 3, 8, 8)
    a = augment_batch(x, 4, True, torch.Generator().manual_seed(7))
    b = augment_batch(x, 4, True, torch.Generator().manual_seed(7))
    c = augment_batch(x, 4, True, torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_augment_on_cuda() -> None:
    x = arange_batch(8).cuda()
    out = augment_batch(x, 2, True, torch.Generator(device="cuda").manual_seed(0))
    assert out.device == x.device and out.shape == x.shape


def test_load_tensors_scales_to_unit_interval(tmp_path: Path) -> None:
    data = {
        "train_x": torch.tensor([[[[0, 255]]]], dtype=torch.uint8),
        "train_y": torch.tensor([1]),
        "test_x": torch.tensor([[[[51, 102]]]], dtype=torch.uint8),
        "test_y": torch.tensor([0]),
    }
    buffer = io.BytesIO()
    torch.save(data, buffer)
    (tmp_path / "tensors.pt").write_bytes(buffer.getvalue())
    (tmp_path / "provenance.json").write_text(json.dumps({"num_classes": 3, "dataset": "x"}))
    ds = load_tensors(tmp_path / "tensors.pt", "cpu")
    assert ds.train_x.dtype == torch.float32 and ds.train_x.flatten().tolist() == [0.0, 1.0]
    assert ds.test_x.flatten().tolist() == pytest.approx([0.2, 0.4])
    assert (ds.num_classes, ds.channels, ds.size, ds.provenance["dataset"]) == (3, 1, 1, "x")
