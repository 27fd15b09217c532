"""Noise that shifts each unit's distribution at every step (Santurkar et al. 2018, Algorithm 1).

Both entries register into ``NORMS`` (``repro.models.norms``):

    name          options                                   module
    noisy_batch   noise options (below), momentum, eps      BN (gamma/beta), then the noise
    noise         noise options                             a per-unit bias, then the noise (no BN)

The noise, in training mode only, at every forward pass (= every training step): per unit j (a channel
of a conv map) draw mu_j ~ U(-mean_range, mean_range) and sigma_j ~ U(1, scale_max); then per element
(i, j[, h, w]) draw m ~ U(mu_j - mean_jitter, mu_j + mean_jitter) and s ~ N(sigma_j, scale_jitter^2)
(scale_jitter is the normal's sd) and return s * a + m. Defaults are the paper's n_mu = 0.5,
n_sigma = 1.25, r_mu = r_sigma = 0.1. In eval mode the noise is off, so BN evaluates as BN.

Randomness: each module draws from its own generator, never from the global RNGs (which drive dropout
and would make the other modules' draws depend on how many noisy layers run). The generator is seeded
at every forward from two buffers: ``noise_seed``, drawn once from the global RNG when the module is
built (so a run's seed fixes it, and layers differ), and ``noise_step``, the count of training forwards
so far. Both live in the state dict, so a resumed run draws the same noise as an uninterrupted one, and
a probe's extra forward passes on the live model leave them as they were (``isolated`` restores
buffers).

``noise`` stands for "the unnormalised net with the same noise": its bias is the one the layer before gives
up (the builders drop a layer's bias under any norm but ``none``), zero at init, so without the noise it
computes exactly the layer's own affine map.
"""

from __future__ import annotations

import zlib

import torch
from torch import nn

from repro.models.norms import NORMS, batch_norm


class DistributionNoise(nn.Module):
    """Algorithm 1's per-unit random shift and scale, resampled at every training forward pass."""

    def __init__(
        self,
        num_features: int,
        mean_range: float = 0.5,
        scale_max: float = 1.25,
        mean_jitter: float = 0.1,
        scale_jitter: float = 0.1,
    ) -> None:
        super().__init__()
        if mean_range < 0 or scale_max < 1 or mean_jitter < 0 or scale_jitter < 0:
            raise ValueError(
                "noise: need mean_range >= 0, scale_max >= 1, mean_jitter >= 0 and scale_jitter >= 0, got "
                f"{mean_range}, {scale_max}, {mean_jitter}, {scale_jitter}"
            )
        self.num_features = num_features
        self.mean_range, self.scale_max = mean_range, scale_max
        self.mean_jitter, self.scale_jitter = mean_jitter, scale_jitter
        self.register_buffer("noise_seed", torch.randint(0, 2**31 - 1, (), dtype=torch.int64))
        self.register_buffer("noise_step", torch.zeros((), dtype=torch.int64))

    def generator(self, device: torch.device) -> torch.Generator:
        """This step's generator: a function of the module's seed and its count of training forwards."""
        seed = zlib.crc32(f"{int(self.noise_seed)}/{int(self.noise_step)}".encode())
        return torch.Generator(device=device).manual_seed(seed)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return a
        g = self.generator(a.device)
        self.noise_step.add_(1)
        unit = (1, a.shape[1]) + (1,) * (a.dim() - 2)  # per channel, broadcast over batch and positions
        kw = {"generator": g, "device": a.device, "dtype": a.dtype}
        mu = (torch.rand(unit, **kw) * 2.0 - 1.0) * self.mean_range
        sigma = 1.0 + torch.rand(unit, **kw) * (self.scale_max - 1.0)
        m = mu + (torch.rand(a.shape, **kw) * 2.0 - 1.0) * self.mean_jitter
        s = sigma + torch.randn(a.shape, **kw) * self.scale_jitter
        return s * a + m

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, mean_range={self.mean_range}, scale_max={self.scale_max}, "
            f"mean_jitter={self.mean_jitter}, scale_jitter={self.scale_jitter}"
        )


class NoisyNorm(nn.Module):
    """A norm (or a per-unit bias) followed by the distribution noise."""

    def __init__(self, inner: nn.Module, noise: DistributionNoise) -> None:
        super().__init__()
        self.inner = inner
        self.noise = noise

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.noise(self.inner(x))


class UnitBias(nn.Module):
    """A learnable per-unit (per-channel) bias, zero at init: the bias of the layer before."""

    def __init__(self, num_features: int, dims: int) -> None:
        super().__init__()
        self.dims = dims
        self.bias = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bias.view((1, -1) + (1,) * (x.dim() - 2))


@NORMS.register("noisy_batch")
def noisy_batch_norm(
    num_features: int,
    dims: int,
    *,
    mean_range: float = 0.5,
    scale_max: float = 1.25,
    mean_jitter: float = 0.1,
    scale_jitter: float = 0.1,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> nn.Module:
    """BN (with gamma/beta) then Algorithm 1's noise, in training mode only (Santurkar et al. 2018)."""
    bn = batch_norm(num_features, dims, momentum=momentum, eps=eps)
    return NoisyNorm(bn, DistributionNoise(num_features, mean_range, scale_max, mean_jitter, scale_jitter))


@NORMS.register("noise")
def noise_only(
    num_features: int,
    dims: int,
    *,
    mean_range: float = 0.5,
    scale_max: float = 1.25,
    mean_jitter: float = 0.1,
    scale_jitter: float = 0.1,
) -> nn.Module:
    """No normalisation: the layer's bias, then the same noise as ``noisy_batch`` (training mode only)."""
    bias = UnitBias(num_features, dims)
    return NoisyNorm(bias, DistributionNoise(num_features, mean_range, scale_max, mean_jitter, scale_jitter))
