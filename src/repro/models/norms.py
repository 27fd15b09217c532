"""Normalisation and nonlinearity registries shared by the model families: name -> module builder."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from repro.registry import Registry

# name -> builder(num_features, dims) where dims is 1 (fully connected) or 2 (convolutional).
NORMS: Registry[Callable[[int, int], nn.Module]] = Registry("norm")
ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry("activation")


@NORMS.register("none")
def no_norm(num_features: int, dims: int) -> nn.Module:
    """The identity: the layer keeps its bias instead."""
    return nn.Identity()


@NORMS.register("batch")
def batch_norm(num_features: int, dims: int) -> nn.Module:
    """Batch normalisation (Ioffe & Szegedy 2015): gamma 1, beta 0, running statistics for inference."""
    return nn.BatchNorm1d(num_features) if dims == 1 else nn.BatchNorm2d(num_features)


ACTIVATIONS.register("relu")(nn.ReLU)
ACTIVATIONS.register("sigmoid")(nn.Sigmoid)


def make_norm(name: str, num_features: int, dims: int) -> nn.Module:
    """The norm registered as ``name``; unknown names list the valid ones."""
    return NORMS.get(name)(num_features, dims)


def make_activation(name: str) -> nn.Module:
    """A fresh nonlinearity module (a module, so probes can hook its input)."""
    return ACTIVATIONS.get(name)()


def has_bias(norm: str) -> bool:
    """Whether the layer before the norm needs its own bias (BN's beta replaces it)."""
    return norm == "none"
