"""Datasets: registry with checksums, fetching (cache, mirror, download, shipped subset), tensors on device.

Public names are re-exported here so callers write ``from repro.data import fetch_dataset``.
"""

from repro.data.fetch import DOWNLOAD_TIMEOUT_S, DataUnavailableError, fetch_dataset
from repro.data.formats import DataFormatError, parse_idx, read_cifar_batch, read_idx
from repro.data.generated import GENERATED, build_generated, is_generated
from repro.data.prepare import prepare_data
from repro.data.specs import DATASETS, SUBSET_NAME, DatasetSpec, FileSpec, get_spec
from repro.data.tensors import (
    DatasetTensors,
    augment_batch,
    balanced_order,
    load_tensors,
    per_pixel_mean,
    split_validation,
    take_subset,
)

__all__ = [
    "DATASETS",
    "GENERATED",
    "DOWNLOAD_TIMEOUT_S",
    "SUBSET_NAME",
    "DataFormatError",
    "DataUnavailableError",
    "DatasetSpec",
    "DatasetTensors",
    "FileSpec",
    "augment_batch",
    "balanced_order",
    "build_generated",
    "fetch_dataset",
    "get_spec",
    "is_generated",
    "load_tensors",
    "parse_idx",
    "per_pixel_mean",
    "prepare_data",
    "read_cifar_batch",
    "read_idx",
    "split_validation",
    "take_subset",
]
