"""Norm and nonlinearity registries shared by every model family; one ``make_norm`` builds every norm.

A norm spec is a registry name (``"batch"``) or a mapping of the name and the builder's options
(``{name: group, groups: 8}``). Builders take ``(num_features, dims)``, where dims is 1 (fully connected,
input (N, C)) or 2 (convolutional, input (N, C, H, W)), and their options as keyword-only arguments.

    name          options                          module
    none          -                                identity; the layer before keeps its bias
    batch         momentum=0.1, eps=1e-5           BatchNorm1d/2d (Ioffe & Szegedy 2015)
    ghost_batch   virtual_batch | workers,         BN over sub-batches of virtual_batch samples each,
                  momentum, eps                    or per emulated worker (see GhostBatchNorm)
    group         groups=32 | group_size, eps      GroupNorm (Wu & He 2018; G=32 is the paper's default;
                                                   group_size fixes channels per group instead)
    layer         eps=1e-5                         GroupNorm(1, C) on conv maps, LayerNorm(C) on vectors
    instance      eps=1e-5                         GroupNorm(C, C): affine, no running statistics
    noisy_batch   noise options, momentum, eps     BN, then Algorithm 1's noise (models/noisy_norms.py)
    noise         noise options                    a bias, then the same noise, no BN (noisy_norms.py)
    lp_batch      p (1, 2, inf), momentum, eps     BN dividing by the batch l_p scale (models/lp_norms.py)

A new variant (e.g. a noisy BN) is one more ``@NORMS.register`` entry; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from repro.models.specs import Spec, check_name, check_spec, split_spec
from repro.registry import Registry

NORMS: Registry[Callable[..., nn.Module]] = Registry("norm")
ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry("activation")

ACTIVATIONS.register("relu")(nn.ReLU)
ACTIVATIONS.register("sigmoid")(nn.Sigmoid)
ACTIVATIONS.register("tanh")(nn.Tanh)


class GhostBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BN whose training statistics come from sub-batches: of ``virtual_batch`` samples, or one per worker.

    Emulates per-worker BN on one device, in one of two ways:

    - ``virtual_batch=b``: consecutive sub-batches of b samples, each normalised by its own mean and
      variance and each updating the running statistics as one BN step would, in order (a batch of k
      sub-batches advances them k times; a last, smaller sub-batch takes the remainder).
    - ``workers=k``: the batch is k equal sub-batches, one per emulated worker (e.g. Wu & He's 8 GPUs of b
      images each), each normalised by its own statistics. The running statistics follow the first worker's
      sub-batch only, one update per step, as data-parallel frameworks keep and save worker 0's BN buffers
      (Caffe2's ``gpu_0`` blobs, tensorpack's first tower, DDP's broadcast from rank 0).

    Evaluation uses the running statistics, as BN does. With a single sub-batch this is exactly BN.
    """

    def __init__(
        self,
        num_features: int,
        dims: int,
        virtual_batch: int | None,
        momentum: float,
        eps: float,
        workers: int | None = None,
    ) -> None:
        super().__init__(num_features, eps=eps, momentum=momentum)
        if (virtual_batch is None) == (workers is None):
            raise ValueError("ghost_batch: give exactly one of virtual_batch and workers")
        for key, value in (("virtual_batch", virtual_batch), ("workers", workers)):
            if value is not None and value < 1:
                raise ValueError(f"ghost_batch: {key} must be at least 1, got {value}")
        self.dims = dims
        self.virtual_batch = virtual_batch
        self.workers = workers

    def _check_input_dim(self, x: torch.Tensor) -> None:
        expected = (2, 3) if self.dims == 1 else (4,)
        if x.dim() not in expected:
            raise ValueError(f"ghost_batch (dims={self.dims}) expects {expected}-D input, got {x.dim()}-D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input_dim(x)
        if not self.training:
            return F.batch_norm(
                x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps
            )
        if self.workers is not None:
            return self._per_worker(x, self.workers)
        if x.shape[0] <= self.virtual_batch:
            return self._bn(x)  # one sub-batch: exactly BN
        # One native BN call per sub-batch, in order. Measured on CPU (torch 2.14) this was as fast as or
        # faster than folding the k sub-batches into k*C channels of one call, whose transposing copies
        # cost more than the calls they save (not measured on a GPU).
        return torch.cat([self._bn(chunk) for chunk in x.split(self.virtual_batch)])

    def _per_worker(self, x: torch.Tensor, workers: int) -> torch.Tensor:
        """BN per worker's sub-batch; only the first worker's statistics update the running ones."""
        if x.shape[0] % workers != 0:
            raise ValueError(
                f"ghost_batch: a batch of {x.shape[0]} samples does not split into workers={workers} "
                "equal sub-batches; make train.batch_size a multiple of the workers"
            )
        chunks = x.split(x.shape[0] // workers)
        first = self._bn(chunks[0])
        rest = [
            F.batch_norm(chunk, None, None, self.weight, self.bias, True, 0.0, self.eps)
            for chunk in chunks[1:]
        ]
        return torch.cat([first, *rest])

    def _bn(self, x: torch.Tensor) -> torch.Tensor:
        """One BN training step on ``x``: normalise by its statistics, update the running ones."""
        self.num_batches_tracked.add_(1)
        return F.batch_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias, True, self.momentum, self.eps
        )

    def extra_repr(self) -> str:
        split = f"virtual_batch={self.virtual_batch}" if self.workers is None else f"workers={self.workers}"
        return f"{super().extra_repr()}, {split}"


@NORMS.register("none")
def no_norm(num_features: int, dims: int) -> nn.Module:
    """The identity: the layer keeps its bias instead."""
    return nn.Identity()


@NORMS.register("batch")
def batch_norm(num_features: int, dims: int, *, momentum: float = 0.1, eps: float = 1e-5) -> nn.Module:
    """Batch normalisation (Ioffe & Szegedy 2015): gamma 1, beta 0, running statistics for inference."""
    cls = nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d
    return cls(num_features, eps=eps, momentum=momentum)


@NORMS.register("ghost_batch")
def ghost_batch_norm(
    num_features: int,
    dims: int,
    *,
    virtual_batch: int | None = None,
    workers: int | None = None,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> nn.Module:
    """BN with statistics over sub-batches of ``virtual_batch`` samples, or over each of ``workers``."""
    return GhostBatchNorm(num_features, dims, virtual_batch, momentum, eps, workers)


def _one_of(first: str, second: str, required: bool) -> Callable[[dict[str, Any]], None]:
    """An options check: not both of two options, and (when ``required``) one of them."""

    def check(options: dict[str, Any]) -> None:
        given = [k for k in (first, second) if options.get(k) is not None]
        if len(given) == 2:
            raise ValueError(f"give {first} or {second}, not both")
        if required and not given:
            raise ValueError(f"one of {first} and {second} is required")

    return check


ghost_batch_norm.check_options = _one_of("virtual_batch", "workers", required=True)  # type: ignore[attr-defined]


@NORMS.register("group")
def group_norm(
    num_features: int,
    dims: int,
    *,
    groups: int | None = None,
    group_size: int | None = None,
    eps: float = 1e-5,
) -> nn.Module:
    """Group normalisation (Wu & He 2018): statistics per sample over groups of C/groups channels.

    ``groups`` fixes the number of groups in every layer (G = 32 by default, the paper's); ``group_size``
    instead fixes the channels per group, so wider layers get more groups (the paper's Table 3, lower half).
    """
    if groups is not None and group_size is not None:
        raise ValueError("group norm: give groups or group_size, not both")
    if group_size is not None:
        if group_size < 1 or num_features % group_size != 0:
            raise ValueError(
                f"group norm: {num_features} channels do not split into groups of group_size={group_size}"
            )
        groups = num_features // group_size
    groups = 32 if groups is None else groups
    if groups < 1 or num_features % groups != 0:
        raise ValueError(
            f"group norm: {num_features} channels are not divisible into groups={groups}; "
            "choose groups dividing every layer's width"
        )
    return nn.GroupNorm(groups, num_features, eps=eps)


group_norm.check_options = _one_of("groups", "group_size", required=False)  # type: ignore[attr-defined]


@NORMS.register("layer")
def layer_norm(num_features: int, dims: int, *, eps: float = 1e-5) -> nn.Module:
    """Layer norm: GN with one group on conv maps (as the GN paper compares it), LayerNorm on vectors."""
    return nn.LayerNorm(num_features, eps=eps) if dims == 1 else nn.GroupNorm(1, num_features, eps=eps)


@NORMS.register("instance")
def instance_norm(num_features: int, dims: int, *, eps: float = 1e-5) -> nn.Module:
    """Instance normalisation as the GN paper compares it: GN with one channel per group, affine."""
    return nn.GroupNorm(num_features, num_features, eps=eps)


def check_norm_spec(spec: Any, where: str, key: str = "model.norm") -> None:
    """Raise ConfigError naming ``key`` (``model.norm.groups``) and ``where`` for a bad norm spec."""
    check_spec(NORMS, spec, key, where)


def make_norm(spec: Spec, num_features: int, dims: int) -> nn.Module:
    """The norm a spec names, built for ``num_features`` channels; a bad spec raises ConfigError."""
    check_norm_spec(spec, "the model builder")
    name, options = split_spec(spec)
    return NORMS.get(name)(num_features, dims, **options)


def has_bias(spec: Spec) -> bool:
    """Whether the layer before the norm needs its own bias (every norm but none has a beta replacing it)."""
    return split_spec(spec)[0] == "none"


def check_activation(name: Any, where: str, key: str = "model.activation") -> None:
    """Raise ConfigError naming ``key`` and ``where`` for an unknown nonlinearity."""
    check_name(ACTIVATIONS, name, key, where)


def make_activation(name: str) -> nn.Module:
    """A fresh nonlinearity module (a module, so probes can hook its input)."""
    return ACTIVATIONS.get(name)()
