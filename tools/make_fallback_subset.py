#!/usr/bin/env python
"""Build the shipped fallback dataset: a class-balanced, seeded subset of Fashion-MNIST as IDX .gz files.

    python tools/make_fallback_subset.py [--source /usr/share/datasets/fashion-mnist]

Writes src/repro/package_data/fashion_mnist_subset/ (the four IDX .gz files under their original names,
MD5SUMS, which the loader verifies, and PROVENANCE.md). The output is byte-for-byte reproducible: the
selection depends only on the seed and the gzip headers carry no timestamp or file name.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np

from repro.data import get_spec, read_idx
from repro.data.formats import check_file, gunzip_md5

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "repro" / "package_data" / "fashion_mnist_subset"
CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
MIT_LICENSE = """\
The MIT License (MIT) Copyright © [2017] Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial
portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN
AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE
OR OTHER DEALINGS IN THE SOFTWARE.
"""


def select_balanced(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """For each class in order 0..9: rng.permutation of its indices, first ``per_class``; sorted union."""
    chosen = []
    for c in range(len(CLASSES)):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            raise SystemExit(f"class {c} has only {len(members)} examples, {per_class} requested")
        chosen.append(rng.permutation(members)[:per_class])
    return np.sort(np.concatenate(chosen))


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX (magic 0x0000 08 ndim, big-endian dims, then the bytes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def verified_source(source: Path) -> dict[str, tuple[str, str]]:
    """Check the source files against the Fashion-MNIST checksums: {name: (file md5, content md5)}."""
    sums = {}
    for fs in get_spec("fashion_mnist").files:
        path = source / fs.name
        check, md5 = check_file(path, fs) if path.is_file() else (None, "absent")
        if not check:
            raise SystemExit(f"{path}: not the official Fashion-MNIST file (md5 {md5})")
        sums[fs.name] = (md5, gunzip_md5(path) or "")
    return sums


def build(source: Path, out: Path, n_train: int, n_test: int, seed: int, command: str) -> None:
    """Select, write the IDX .gz files, MD5SUMS and PROVENANCE.md."""
    source_sums = verified_source(source)
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, str] = {}
    counts = {}
    for split, n, prefix in (("train", n_train, "train"), ("test", n_test, "t10k")):
        images = read_idx(source / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(source / f"{prefix}-labels-idx1-ubyte.gz")
        keep = select_balanced(labels, n // len(CLASSES), rng)
        counts[split] = (len(labels), len(keep))
        for kind, array in (("images-idx3", images[keep]), ("labels-idx1", labels[keep])):
            name = f"{prefix}-{kind}-ubyte.gz"
            # mtime=0 and no file name in the header: rebuilding gives identical bytes.
            data = gzip.compress(idx_bytes(array), compresslevel=9, mtime=0)
            (out / name).write_bytes(data)
            written[name] = hashlib.md5(data).hexdigest()
            assert np.array_equal(read_idx(out / name), array)  # round trip through the loader's reader
    (out / "MD5SUMS").write_text("".join(f"{md5}  {name}\n" for name, md5 in sorted(written.items())))
    (out / "PROVENANCE.md").write_text(provenance_text(source, source_sums, written, counts, seed, command))
    total = sum((out / name).stat().st_size for name in written)
    print(f"wrote {out} ({total / 1e6:.2f} MB): {counts}")


def provenance_text(
    source: Path,
    source_sums: dict[str, tuple[str, str]],
    written: dict[str, str],
    counts: dict[str, tuple[int, int]],
    seed: int,
    command: str,
) -> str:
    """PROVENANCE.md: source files and md5s, selection rule, seed, command, checksums, license."""
    src = "\n".join(f"| {n} | `{md5}` | `{raw}` |" for n, (md5, raw) in sorted(source_sums.items()))
    out = "\n".join(f"| {n} | `{md5}` |" for n, md5 in sorted(written.items()))
    (train_all, train), (test_all, test) = counts["train"], counts["test"]
    return f"""# fashion_mnist_subset: provenance

A class-balanced subset of Fashion-MNIST (Xiao, Rasul and Vollgraf 2017, https://github.com/zalandoresearch/fashion-mnist),
shipped inside the `repro` package so the pipeline runs without any download. `repro.data.fetch_dataset` uses
it only when the requested dataset is unavailable and substitution is allowed (it logs a WARNING and records
`"source": "fallback"` in the run's provenance), or when `fashion_mnist_subset` is requested by name.
Results on it are **not** comparable with any paper's numbers.

## Source

Folder `{source}` (Debian package `dataset-fashion-mnist`).
Every file was verified before use against
Fashion-MNIST's published checksums: the .gz md5 (as torchvision lists it) or, for re-compressed copies such
as Debian's, the md5 of the decompressed IDX bytes.

| file | md5 of this copy | md5 of decompressed content |
|---|---|---|
{src}

## Selection rule

- {train} of the {train_all} training images and {test} of the {test_all} test images; {train // 10} and
  {test // 10} per class (all 10 classes: {", ".join(CLASSES)}).
- `rng = numpy.random.default_rng({seed})` (PCG64; built with numpy {np.__version__}).
  For the training split, then the test split, and within each for class 0, 1, ..., 9 in order:
  `rng.permutation(indices of that class)[:per_class]`.
- The chosen indices are sorted, so the images keep their original relative order.
- Written as IDX files (unchanged format, same names as the originals), gzip level 9 with `mtime=0`.

## Rebuild

```
{command}
```

Rebuilding gives byte-identical files (checked by `MD5SUMS`, which the loader verifies on every use).

| file | md5 |
|---|---|
{out}

## License

Fashion-MNIST is Copyright (c) 2017 Zalando SE and is distributed under the MIT license, reproduced here:

```
{MIT_LICENSE}```
"""


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=Path("/usr/share/datasets/fashion-mnist"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--train", type=int, default=10_000, help="training images (multiple of 10)")
    parser.add_argument("--test", type=int, default=2_000, help="test images (multiple of 10)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.train % 10 or args.test % 10:
        parser.error("--train and --test must be multiples of 10 (class-balanced)")
    command = " ".join(["python tools/make_fallback_subset.py", *(sys.argv[1:] if argv is None else argv)])
    build(args.source, args.out, args.train, args.test, args.seed, command.strip())


if __name__ == "__main__":
    main()
