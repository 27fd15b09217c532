"""fetch_dataset: cache -> local mirror -> torchvision download -> shipped subset, all md5-verified."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import socket
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import IO, Any

import torch

from repro.data import specs
from repro.data.formats import build_tensors, candidate_names, check_file
from repro.data.specs import DatasetSpec, FileSpec
from repro.data.tensors import CHECKSUM_KEY

logger = logging.getLogger("repro.data")

# Per socket operation; a stalled server then raises instead of hanging a Snakemake job forever.
DOWNLOAD_TIMEOUT_S = 60.0
ORIGINS_FILE = ".origins.json"  # in the raw folder: where each cached file first came from


class DataUnavailableError(RuntimeError):
    """No verified copy of a dataset could be found, and substitution was not allowed."""


def fetch_dataset(
    name: str, root: Path, mirror: Path | None, allow_fallback: bool, allow_download: bool = True
) -> dict[str, Any]:
    """Make root/name/tensors.pt and provenance.json from the first verified source; return the provenance."""
    spec = specs.get_spec(name)
    out_dir = Path(root) / name
    if spec.packaged:
        return _use_subset(name, out_dir, reason=None)
    raw = out_dir / "raw"
    found = _verify_cache(spec, raw)
    source, tried = "cache", []
    if _missing(spec, found):
        tried.append(f"cache {raw}: missing or corrupt {', '.join(_missing(spec, found))}")
        if mirror:
            source = "mirror"
            _install_from_folder(spec, Path(mirror), raw, found, move=False, origin=f"mirror {mirror}")
            if _missing(spec, found):
                tried.append(f"mirror {mirror}: lacks verified {', '.join(_missing(spec, found))}")
        else:
            tried.append(f"no mirror configured (data.mirrors.{name})")
    if _missing(spec, found):
        if allow_download and spec.torchvision_class:
            source = "download"
            error = _download(spec, out_dir, raw, found)
            if error:
                tried.append(f"download failed: {error}")
        else:
            tried.append("download disabled")
    if _missing(spec, found):
        if allow_fallback:
            return _use_subset(name, out_dir, reason="; ".join(tried))
        raise DataUnavailableError(_unavailable_message(spec, tried))
    tensors = build_tensors(spec, *_split_paths(spec, found))
    origins = _read_origins(raw)
    rel = {fs: str(path.relative_to(raw)) for fs, (path, _, _) in found.items()}
    provenance = {
        "requested": name,
        "dataset": spec.name,
        "source": source,
        "files": {rel[fs]: md5 for fs, (_, _, md5) in found.items()},
        "checks": {rel[fs]: check for fs, (_, check, _) in found.items()},
        "origins": {rel[fs]: origins.get(rel[fs], "unknown") for fs in found},
        "mirror": str(mirror) if mirror else None,
        "note": f"{spec.description}: raw files verified by md5 (source: {source}).",
    }
    return _write_outputs(out_dir, tensors, provenance, spec.num_classes)


def _missing(spec: DatasetSpec, found: dict[FileSpec, tuple[Path, str, str]]) -> list[str]:
    """Names of the spec's files that have no verified copy yet."""
    return [fs.name for fs in spec.files if fs not in found]


def _verify_cache(spec: DatasetSpec, raw: Path) -> dict[FileSpec, tuple[Path, str, str]]:
    """Verified cached files {spec: (path, check, md5)}; a corrupt copy is deleted so it is fetched again."""
    found = {}
    for fs in spec.files:
        for name in candidate_names(fs):
            path = raw / name
            if not path.is_file():
                continue
            check, md5 = check_file(path, fs)
            if check:
                found[fs] = (path, check, md5)
                break
            logger.warning(
                "%s: cached file %s is corrupt (md5 %s, expected %s); deleting it and fetching it again",
                spec.name,
                path,
                md5,
                fs.md5,
            )
            path.unlink()
    return found


def _search_dirs(spec: DatasetSpec, folder: Path) -> list[Path]:
    """Layouts a mirror may use: the files directly, torchvision's <Class>/raw, or a folder per dataset."""
    dirs = [folder, folder / "raw", folder / spec.name, folder / spec.name / "raw"]
    if spec.torchvision_class:
        dirs.append(folder / spec.torchvision_class / "raw")
    return [d for d in dirs if d.is_dir()]


def _install_from_folder(
    spec: DatasetSpec, folder: Path, raw: Path, found: dict, move: bool, origin: str
) -> None:
    """Copy (or move) verified copies of the missing files from ``folder`` into the cache ``raw``."""
    if not folder.is_dir():
        logger.warning("%s: mirror %s is not a folder; skipping it", spec.name, folder)
        return
    dirs = _search_dirs(spec, folder)
    for fs in spec.files:
        for src, name in _candidates(fs, dirs):
            if fs in found:
                break
            verified = _install(src, raw / name, fs, move, spec.name)
            if verified:
                found[fs] = (raw / name, *verified)
                _record_origin(raw, name, f"{origin} ({src})")
    if spec.archive and _missing(spec, found):
        for directory in dirs:
            archive = directory / spec.archive.name
            if archive.is_file() and _extract_archive(spec, archive, raw, found, origin):
                break


def _candidates(fs: FileSpec, dirs: list[Path]) -> Iterator[tuple[Path, str]]:
    """(existing source path, name to store it under) for each place a copy of ``fs`` may be."""
    for directory in dirs:
        for name in candidate_names(fs):
            for rel in dict.fromkeys([name, Path(name).name]):  # CIFAR: mirror may be the batches folder
                if (directory / rel).is_file():
                    yield directory / rel, name


def _install(src: Path, dest: Path, fs: FileSpec, move: bool, dataset: str) -> tuple[str, str] | None:
    """Atomically put a verified copy of ``src`` at ``dest``: (check, md5), or None (logged) if corrupt."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".tmp{os.getpid()}-{dest.name}")  # keep the suffix: .gz decides the check
    if move:
        os.replace(src, tmp)
    else:
        shutil.copyfile(src, tmp)
    check, md5 = check_file(tmp, fs)
    if not check:
        logger.warning(
            "%s: %s fails its md5 check (md5 %s, expected %s); ignoring it", dataset, src, md5, fs.md5
        )
        tmp.unlink()
        return None
    os.replace(tmp, dest)
    logger.info("%s: installed %s from %s (%s verified)", dataset, dest, src, check)
    return check, md5


def _extract_archive(spec: DatasetSpec, archive: Path, raw: Path, found: dict, origin: str) -> bool:
    """Extract the missing files from a verified archive (CIFAR's tarball) into the cache."""
    check, md5 = check_file(archive, spec.archive)
    if not check:
        logger.warning("%s: archive %s fails its md5 check (md5 %s); ignoring it", spec.name, archive, md5)
        return False
    wanted = {fs.name: fs for fs in spec.files if fs not in found}
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar:  # one pass: seeking back in a .gz stream means decompressing it again
            fs = wanted.get(member.name)  # only names we expect are written: no path traversal
            source = tar.extractfile(member) if fs else None
            if source is None:
                continue
            dest = raw / fs.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            part = dest.with_name(f".part{os.getpid()}-{dest.name}")
            with open(part, "wb") as out:
                shutil.copyfileobj(source, out)
            verified = _install(part, dest, fs, move=True, dataset=spec.name)
            if verified:
                found[fs] = (dest, *verified)
                _record_origin(raw, fs.name, f"{origin} ({archive})")
    return not _missing(spec, found)


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    """Temporarily set the default socket timeout, which urllib (and so torchvision) uses."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _download(spec: DatasetSpec, out_dir: Path, raw: Path, found: dict) -> str | None:
    """Download with torchvision's dataset class (its own md5 checks), then install; returns an error text."""
    staging = out_dir / "_download"
    logger.info("%s: downloading with torchvision.datasets.%s", spec.name, spec.torchvision_class)
    try:
        import torchvision.datasets  # slow import, only needed here

        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            getattr(torchvision.datasets, spec.torchvision_class)(
                root=str(staging), train=True, download=True
            )
        origin = f"download torchvision.datasets.{spec.torchvision_class}"
        _install_from_folder(spec, staging, raw, found, move=True, origin=origin)
    except Exception as err:  # network, HTTP, checksum and archive errors all mean "not available"
        logger.warning("%s: download failed: %s: %s", spec.name, type(err).__name__, err)
        return f"{type(err).__name__}: {err}"
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return None


def _split_paths(spec: DatasetSpec, found: dict) -> tuple[list[Path], list[Path]]:
    """Verified paths of the train and test files, in spec order."""
    return [found[fs][0] for fs in spec.train_files], [found[fs][0] for fs in spec.test_files]


def _read_origins(raw: Path) -> dict[str, str]:
    """{stored name: origin} recorded when files entered the cache."""
    path = raw / ORIGINS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def _record_origin(raw: Path, name: str, origin: str) -> None:
    """Remember where a cached file came from, for later provenance records."""
    origins = _read_origins(raw)
    origins[name] = origin
    _atomic_write(raw / ORIGINS_FILE, lambda f: f.write(json.dumps(origins, indent=1).encode()))


def _use_subset(requested: str, out_dir: Path, reason: str | None) -> dict[str, Any]:
    """Build the outputs from the shipped Fashion-MNIST subset (verified against its MD5SUMS)."""
    spec = specs.subset_spec()
    folder = resources.files("repro").joinpath(*specs.SUBSET_PACKAGE_DIR)
    md5s = {}
    for fs in spec.files:
        path = folder / fs.name
        check, md5 = check_file(path, fs) if path.is_file() else (None, "absent")
        if not check:
            raise RuntimeError(
                f"shipped subset file {fs.name} is broken (md5 {md5}, MD5SUMS says {fs.md5}); "
                "rebuild it with tools/make_fallback_subset.py"
            )
        md5s[fs.name] = md5
    train = [folder / fs.name for fs in spec.train_files]
    tensors = build_tensors(spec, train, [folder / fs.name for fs in spec.test_files])
    if reason is not None:
        logger.warning(
            "Dataset '%s' is unavailable (%s); substituting the shipped Fashion-MNIST subset '%s' "
            "(%d train / %d test images, 1x28x28). Results are not comparable with the paper's numbers.",
            requested,
            reason,
            spec.name,
            len(tensors["train_y"]),
            len(tensors["test_y"]),
        )
    note = spec.description
    if requested != spec.name:
        note = f"requested dataset '{requested}' was unavailable ({reason}); substituted by the {note}"
    provenance = {
        "requested": requested,
        "dataset": spec.name,
        "source": "fallback",
        "files": md5s,
        "checks": dict.fromkeys(md5s, "md5"),
        "origins": dict.fromkeys(md5s, f"package repro/{'/'.join(specs.SUBSET_PACKAGE_DIR)}"),
        "mirror": None,
        "note": note,
    }
    return _write_outputs(out_dir, tensors, provenance, spec.num_classes)


def _write_outputs(
    out_dir: Path, tensors: dict[str, torch.Tensor], provenance: dict, num_classes: int
) -> dict[str, Any]:
    """Atomically write tensors.pt and provenance.json (with shapes added) and return the provenance."""
    x = tensors["train_x"]
    provenance |= {
        "num_train": len(tensors["train_y"]),
        "num_test": len(tensors["test_y"]),
        "channels": int(x.shape[1]),
        "size": int(x.shape[2]),
        "num_classes": num_classes,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    # Recorded so a cache truncated or changed later is caught when it is loaded (repro.data.tensors).
    provenance[CHECKSUM_KEY] = hashlib.sha256(buffer.getbuffer()).hexdigest()
    _atomic_write(out_dir / "tensors.pt", lambda f: f.write(buffer.getbuffer()))
    _atomic_write(out_dir / "provenance.json", lambda f: f.write(json.dumps(provenance, indent=2).encode()))
    return provenance


def _atomic_write(path: Path, write: Callable[[IO[bytes]], Any]) -> None:
    """Write through a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique name opened with "x" (not mkstemp, whose 0600 mode would hide the data from a shared group).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _unavailable_message(spec: DatasetSpec, tried: list[str]) -> str:
    """The DataUnavailableError text: what was tried and the three ways out."""
    if spec.archive:
        wanted = f"{spec.archive.name} or the extracted {Path(spec.files[0].name).parent}/"
    else:
        wanted = ", ".join(fs.name for fs in spec.files)
    return (
        f"Dataset '{spec.name}' is not available. Tried: {'; '.join(tried)}.\n"
        "Options:\n"
        f"  1. set `data.mirrors.{spec.name}` in configs/config.yaml to a folder holding {wanted} "
        "(verified by md5);\n"
        "  2. enable network access so torchvision can download it;\n"
        "  3. run with `--configfile configs/offline.yaml` to substitute Fashion-MNIST."
    )
