"""Dataset registry: what each dataset's raw files are called and which checksums they must have."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from repro.registry import Registry

SUBSET_NAME = "fashion_mnist_subset"
# Where the shipped fallback lives inside the installed package (found with importlib.resources).
SUBSET_PACKAGE_DIR = ("package_data", SUBSET_NAME)
SUBSET_CHECKSUMS = "MD5SUMS"


@dataclass(frozen=True)
class FileSpec:
    """One raw file: its name as torchvision stores it and its expected checksums."""

    name: str  # path relative to the dataset's raw folder, e.g. "cifar-10-batches-py/data_batch_1"
    md5: str  # md5 of the file as distributed (torchvision's checksum)
    # md5 of the decompressed bytes of a .gz file. Repackagers (Debian) re-gzip the IDX files, which changes
    # the .gz md5 but not the data; this lets such copies, and plain un-gzipped copies, be verified too.
    content_md5: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """Everything fetch_dataset needs to know about a dataset; no behaviour of its own."""

    name: str
    channels: int
    size: int
    num_classes: int
    format: str  # "idx" (MNIST family) or "cifar" (python pickles)
    torchvision_class: str | None  # name in torchvision.datasets used to download; None: not downloadable
    train_files: tuple[FileSpec, ...]  # idx: (images, labels); cifar: the training batches
    test_files: tuple[FileSpec, ...]
    extra_files: tuple[FileSpec, ...] = ()  # verified and kept but not parsed (CIFAR's batches.meta)
    archive: FileSpec | None = None  # a single archive that holds all files (CIFAR's tarball)
    packaged: bool = False  # shipped inside the repro package, never downloaded
    n_train: int | None = None  # training images (lengths in epochs are resolved with it at DAG build)
    n_test: int | None = None  # test images (data.test_subset is checked against it at DAG build)
    description: str = ""

    @property
    def files(self) -> tuple[FileSpec, ...]:
        """All files that must be present and verified."""
        return self.train_files + self.test_files + self.extra_files


_IDX_NAMES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)


def _idx_files(md5s: list[tuple[str, str | None]]) -> tuple[tuple[FileSpec, ...], tuple[FileSpec, ...]]:
    """Train and test (images, labels) FileSpecs from (gz md5, content md5) pairs in _IDX_NAMES order."""
    files = [FileSpec(name, gz, raw) for name, (gz, raw) in zip(_IDX_NAMES, md5s, strict=True)]
    return tuple(files[:2]), tuple(files[2:])


# (.gz md5, content md5) in _IDX_NAMES order. The .gz md5s are torchvision.datasets.MNIST.resources and
# FashionMNIST.resources (a test checks they still agree). The content md5s are those of the uncompressed
# IDX files of the official releases, as widely published next to them (MNIST's "extracted files" md5s,
# Fashion-MNIST's raw_data lists).
_MNIST_TRAIN, _MNIST_TEST = _idx_files(
    [
        ("f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"),
        ("d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"),
        ("9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"),
        ("ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"),
    ]
)
_FASHION_TRAIN, _FASHION_TEST = _idx_files(
    [
        ("8d4fb7e6c68d591d4c3dfef9ec88bf0d", "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
        ("25c81989df183df01b3e8a0aad5dffbe", "9018921c3c673c538a1fc5bad174d6f9"),
        ("bef4ecab320f06d8554ea6380940ec79", "8181f5470baa50b63fa0f6fddb340f0a"),
        ("bb300cfdad3c16e7a12a480ee83cd310", "15d484375f8d13e6eb1aabb0c3f46965"),
    ]
)
# torchvision.datasets.CIFAR10.train_list / test_list / meta / tgz_md5.
_CIFAR_DIR = "cifar-10-batches-py"
_CIFAR_TRAIN = tuple(
    FileSpec(f"{_CIFAR_DIR}/{name}", md5)
    for name, md5 in [
        ("data_batch_1", "c99cafc152244af753f735de768cd75f"),
        ("data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"),
        ("data_batch_3", "54ebc095f3ab1f0389bbae665268c751"),
        ("data_batch_4", "634d18415352ddfa80567beed471001a"),
        ("data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"),
    ]
)
_CIFAR_TEST = (FileSpec(f"{_CIFAR_DIR}/test_batch", "40351d587109b95175f43aff81a1287e"),)
_CIFAR_META = (FileSpec(f"{_CIFAR_DIR}/batches.meta", "5ff9c542aee3614f3951f8cda6e48888"),)
_CIFAR_ARCHIVE = FileSpec("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")


_GRAY28 = {"channels": 1, "size": 28, "num_classes": 10, "format": "idx"}  # the MNIST family


def read_subset_checksums() -> dict[str, str]:
    """{file name: md5} of the shipped subset, from its MD5SUMS file ({} if it was never built)."""
    path = resources.files("repro").joinpath(*SUBSET_PACKAGE_DIR, SUBSET_CHECKSUMS)
    if not path.is_file():
        return {}
    sums = {}
    for line in path.read_text().splitlines():
        if line.strip():
            md5, name = line.split(maxsplit=1)
            sums[name.strip().lstrip("*")] = md5
    return sums


def subset_spec() -> DatasetSpec:
    """The shipped Fashion-MNIST subset, with the checksums its MD5SUMS file declares."""
    sums = read_subset_checksums()
    train, test = _idx_files([(sums.get(name, "missing"), None) for name in _IDX_NAMES])
    return DatasetSpec(
        name=SUBSET_NAME,
        description="class-balanced 10,000/2,000 subset of Fashion-MNIST shipped with repro",
        n_train=10000,
        n_test=2000,
        **_GRAY28,
        torchvision_class=None,
        train_files=train,
        test_files=test,
        packaged=True,
    )


DATASETS: Registry[DatasetSpec] = Registry("dataset")
for _spec in (
    DatasetSpec(
        name="mnist",
        description="MNIST handwritten digits",
        n_train=60000,
        n_test=10000,
        **_GRAY28,
        torchvision_class="MNIST",
        train_files=_MNIST_TRAIN,
        test_files=_MNIST_TEST,
    ),
    DatasetSpec(
        name="fashion_mnist",
        description="Fashion-MNIST (Zalando)",
        n_train=60000,
        n_test=10000,
        **_GRAY28,
        torchvision_class="FashionMNIST",
        train_files=_FASHION_TRAIN,
        test_files=_FASHION_TEST,
    ),
    DatasetSpec(
        name="cifar10",
        description="CIFAR-10 (python version)",
        n_train=50000,
        n_test=10000,
        channels=3,
        size=32,
        num_classes=10,
        format="cifar",
        torchvision_class="CIFAR10",
        train_files=_CIFAR_TRAIN,
        test_files=_CIFAR_TEST,
        extra_files=_CIFAR_META,
        archive=_CIFAR_ARCHIVE,
    ),
    subset_spec(),
):
    DATASETS.register(_spec.name)(_spec)


def get_spec(name: str) -> DatasetSpec:
    """The registered spec for ``name``; an unknown name raises KeyError listing the valid names."""
    return DATASETS.get(name)
