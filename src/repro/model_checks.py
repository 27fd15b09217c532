"""Model and constraint options checked when a run config resolves, before any data is looked up.

Two steps. First every model option is checked against the type hint of its builder's parameter, so
``depth: "20"`` names ``model.depth``. Then the model is built on PyTorch's ``meta`` device (no memory, no
arithmetic) for the dataset's known shape, and the run's constraints are bound to it: the constraints only
a builder can judge (ResNet depth 6n+2, groups dividing every layer's width, pools that fit the image, a
max-norm pattern that matches no layer) fail at DAG build instead of in the job. A build is cached per
distinct model, shape and constraints, so resolving many seeds of one variant builds once.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import typing
from typing import Any

from repro.errors import ConfigError


def data_shape(data: Any) -> tuple[int, int, int] | None:
    """(channels, classes, image size) of a ``data`` config's dataset when its spec alone tells."""
    from repro.data.generated import GENERATED
    from repro.data.specs import DATASETS

    if data.name in GENERATED:
        params = inspect.signature(GENERATED.get(data.name)).parameters
        options = {k: p.default for k, p in params.items()} | data.options
        dim, out_dim = options.get("dim"), options.get("out_dim")
        if isinstance(dim, int) and isinstance(out_dim, int):
            return dim, out_dim, 1  # vectors are (N, dim, 1, 1): see repro.data.generated
        return None
    if data.name in DATASETS:
        spec = DATASETS.get(data.name)
        # data.downsample average-pools by that factor (floor), as repro.data.tensors.downsample does.
        return spec.channels, spec.num_classes, spec.size // max(int(data.downsample), 1)
    return None


def check_model_types(name: str, options: dict[str, Any], source: str) -> None:
    """Reject a model option whose value does not fit its builder parameter's type hint."""
    from repro.models import MODELS
    from repro.typehints import hint_name, value_fits

    try:
        hints = typing.get_type_hints(MODELS.get(name))
    except (NameError, TypeError):  # an unresolvable annotation: leave the types to the build
        return
    for key, value in options.items():
        hint = hints.get(key)
        if hint is not None and not value_fits(value, hint):
            raise ConfigError(
                f"key 'model.{key}' for model '{name}' in {source} is {value!r}; valid: {hint_name(hint)}"
            )


def check_model_builds(cfg: Any, source: str) -> None:
    """Build the run's model on the meta device and bind its constraints; a failure names key and file."""
    shape = data_shape(cfg.data)
    if shape is None:  # a dataset whose shape only its files tell: checked when the job builds it
        return
    model = json.dumps(cfg.model, sort_keys=True)
    constraints = json.dumps(cfg.constraints, sort_keys=True)
    problem = _trial_build(model, constraints, shape)
    if problem is None:
        return
    where, message = problem
    channels, classes, size = shape
    dataset = f"dataset '{cfg.data.name}' ({channels} channels, {size}x{size}, {classes} outputs)"
    if where == "model":
        raise ConfigError(
            f"{_model_key(cfg.model, message)} in {source} cannot be built for {dataset}: {message}"
        )
    raise ConfigError(f"'{where}' {cfg.constraints[int(where[12:-1])]!r} in {source}: {message}")


def _model_key(model: dict[str, Any], message: str) -> str:
    """The model options a builder's message mentions (``key 'model.depth' is 21``), else the whole spec."""
    named = [k for k in model if k != "name" and re.search(rf"\b{re.escape(k)}\b", message)]
    if named:
        return ", ".join(f"key 'model.{k}' is {model[k]!r}" for k in named) + f" (model '{model['name']}')"
    return f"'model' {model!r}"


@functools.lru_cache(maxsize=256)
def _trial_build(
    model_json: str, constraints_json: str, shape: tuple[int, int, int]
) -> tuple[str, str] | None:
    """(where, message) of the first ValueError building the model and its constraints, or None."""
    import torch

    from repro.hooks import CONSTRAINTS
    from repro.models import build_model

    spec, constraints = json.loads(model_json), json.loads(constraints_json)
    channels, classes, size = shape
    # fork_rng: initialisers on meta tensors draw nothing today, but a check must never move the seed.
    with torch.random.fork_rng(devices=[]), torch.device("meta"):
        try:
            built = build_model(spec, channels, classes, size)
        except (ValueError, TypeError) as err:  # ConfigError is a ValueError
            return "model", str(err)
        except (NotImplementedError, RuntimeError):
            # An operation meta tensors lack (e.g. .item() in an initialiser) says nothing about the
            # config: the job's real build judges it.
            return None
        for i, constraint in enumerate(constraints):
            options = {k: v for k, v in constraint.items() if k != "name"}
            try:
                CONSTRAINTS.get(constraint["name"])(built, **options)
            except (ValueError, TypeError) as err:
                return f"constraints[{i}]", str(err)
    return None
