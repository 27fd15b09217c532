"""Human-readable names for variants and datasets, shared by figures and LaTeX output."""

from __future__ import annotations

import re

DATASET_LABELS = {
    "cifar10": "CIFAR-10",
    "fashion_mnist": "Fashion-MNIST",
    "fashion_mnist_subset": "Fashion-MNIST subset",
    "mnist": "MNIST",
}
FAMILY_LABELS = {"resnet": "ResNet", "plain": "plain"}
DATA_SOURCE_LABELS = {
    "cache": "local cache",
    "mirror": "local mirror",
    "download": "download",
    "fallback": "subset shipped with the package",
}

_VARIANT = re.compile(r"([A-Za-z]+)[_-]?(\d+)(.*)")


def dataset_label(name: object) -> str:
    """'cifar10' -> 'CIFAR-10'; unknown names are returned unchanged."""
    return DATASET_LABELS.get(str(name), str(name))


def variant_label(name: object) -> str:
    """'resnet20' -> 'ResNet-20', 'plain56' -> 'plain-56'; names without a trailing number unchanged."""
    text = str(name)
    match = _VARIANT.fullmatch(text)
    if not match:
        return text
    family, number, rest = match.groups()
    return f"{FAMILY_LABELS.get(family.lower(), family)}-{number}{rest}"


def variant_sort_key(name: object) -> tuple:
    """Sort variants by family, then numerically by the number in the name (plain20 < plain110)."""
    text = str(name)
    match = _VARIANT.fullmatch(text)
    if not match:
        return (text, -1, "")
    family, number, rest = match.groups()
    return (family.lower(), int(number), rest)


def sorted_variants(names) -> list[str]:
    """Unique variant names in family-then-number order."""
    return sorted({str(n) for n in names}, key=variant_sort_key)
