"""Model registry: name -> builder. Builders take explicit arguments and never read global config."""

# Importing the families registers them.
from repro.models import (  # noqa: F401
    autoencoder,
    conv_fc,
    convnet,
    linear_deep,
    lp_norms,
    mlp,
    noisy_norms,
    resnet_cifar,
    vgg,
)
from repro.models.base import (  # noqa: F401  (the package's names)
    DATA_ARGS,
    MODELS,
    build_model,
    check_model_options,
    count_parameters,
)
