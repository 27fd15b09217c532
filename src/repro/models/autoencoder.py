"""A one-hidden-layer autoencoder (Srivastava et al. 2014, Sec. 7.1, Figs. 7-8): 784-256-784 on MNIST.

The encoder maps the flattened image through a linear layer and a nonlinearity (ReLU in the paper) to the
code; optional dropout on the input (``keep_input``) and on the code (``keep_hidden``, the paper's 0.5) is
set by the probability of KEEPING a unit, as in models/mlp.py (inverted dropout, so the eval-mode net is
the weight-scaled test-time net). The decoder is a linear map back to one logit per pixel; the task's loss
(``train.loss: reconstruction_bce``) compares their sigmoid with the input. Module names ``encoder``,
``act`` and ``decoder`` are what the filters and activation probes address.
``norm`` (default none) may sit before the nonlinearity. Weights ~ N(0, init_std^2)
(or 1/sqrt(fan_in) with "fan_in"), biases 0.

Parameter counts (checked in tests/test_srivastava2014.py):

    input      hidden   this file
    28x28x1    256      402,448   (784*256 + 256 + 256*784 + 784)
"""

from __future__ import annotations

import torch
from torch import nn

from repro.models.base import MODELS
from repro.models.mlp import check_init_std, drop_probability, dropout_or_none, gaussian_init_
from repro.models.norms import has_bias, make_activation, make_norm
from repro.models.specs import Spec


class Autoencoder(nn.Module):
    """Flatten, optional input dropout, encoder + nonlinearity, optional code dropout, linear decoder."""

    reconstructs = True  # the output is one logit per input pixel, not class logits

    def __init__(
        self,
        features: int,
        hidden: int,
        act: str,
        init_std: float | str,
        keep_input: float,
        keep_hidden: float,
        norm: Spec = "none",
    ) -> None:
        super().__init__()
        self.drop_input = dropout_or_none(drop_probability(keep_input, "keep_input"))
        self.encoder = nn.Linear(features, hidden, bias=has_bias(norm))
        self.norm = make_norm(norm, hidden, dims=1)  # "none": the identity
        self.act = make_activation(act)
        self.drop = dropout_or_none(drop_probability(keep_hidden, "keep_hidden"))
        self.decoder = nn.Linear(hidden, features)
        gaussian_init_(self, init_std)  # the encoder, then the decoder

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        if self.drop_input is not None:
            x = self.drop_input(x)
        code = self.act(self.norm(self.encoder(x)))
        if self.drop is not None:
            code = self.drop(code)
        return self.decoder(code)


@MODELS.register("autoencoder")
def autoencoder(
    in_channels: int,
    num_classes: int,
    image_size: int,
    hidden: int = 256,
    activation: str = "relu",
    init_std: float | str = 0.01,
    keep_input: float = 1.0,
    keep_hidden: float = 1.0,
    norm: Spec = "none",
) -> nn.Module:
    """784-256-784 autoencoder (for 28x28x1) with keep probabilities on the input and the code."""
    del num_classes  # the output is the image, not classes
    check_init_std(init_std)
    features = in_channels * image_size * image_size
    return Autoencoder(features, hidden, activation, init_std, keep_input, keep_hidden, norm)
