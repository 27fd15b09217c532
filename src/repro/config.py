"""The typed run config: every default in one place, strict loading that names bad keys, and overrides."""

from __future__ import annotations

import copy
import dataclasses
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml

from repro.errors import ConfigError  # noqa: F401  (re-exported: callers import it from here)


@dataclass
class DataConfig:
    """Which dataset a run loads and how it is preprocessed."""

    name: str = "cifar10"  # the dataset actually loaded (after any substitution)
    requested: str = ""  # the paper's dataset; filled in from `name` when left empty
    root: str = "data"
    train_subset: int | None = None  # a fixed, seeded subset of the training images
    # A fixed, class-balanced subset of the test images for every held-out evaluation (all when null):
    # reduced scales use it because evaluating the whole test set often costs a third of the training.
    test_subset: int | None = field(default=None, metadata={"omit_default": True})
    val_size: int = 0  # images held out of train as a validation split
    # Average-pool every image by this factor before anything else sees it (1: the images as stored). Reduced
    # scales use 2 to train conv nets on 14x14 Fashion-MNIST: a quarter of the arithmetic per image.
    downsample: int = field(default=1, metadata={"omit_default": True})
    pad: int = 4  # pad-and-crop augmentation, in pixels of the (downsampled) image; 0 disables it
    flip: bool = True
    normalize: str = "per_pixel_mean"  # per_pixel_mean | none
    subset_seed: int = 0  # subsets and splits do not move with the run seed
    # Options of a generated dataset (repro.data.generated, e.g. gaussian_linear); built in memory, no fetch.
    options: dict[str, Any] = field(default_factory=dict, metadata={"omit_default": True})


@dataclass
class OptimConfig:
    """The optimizer (SGD with momentum and weight decay, as every paper here uses)."""

    name: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    nesterov: bool = False
    # Linear scaling rule (Goyal et al. 2017, used by Wu & He 2018): when set, the experiment's lr is the
    # lr at this batch size; repro.derived stores it in lr_base and sets lr = lr_base * batch / reference.
    lr_reference_batch: int | None = field(default=None, metadata={"omit_default": True})
    lr_base: float | None = field(default=None, metadata={"omit_default": True})


@dataclass
class ScheduleConfig:
    """Learning rate against iterations, with an optional warm-up that ends on a training-error threshold."""

    name: str = "multistep"  # multistep | constant | exponential
    milestones: list[int] = field(default_factory=list)  # iterations at which lr is multiplied by gamma
    # Milestones in epochs instead; repro.derived turns them into `milestones` (iterations).
    milestone_epochs: list[float] = field(default_factory=list, metadata={"omit_default": True})
    gamma: float = 0.1
    warmup_lr: float | None = None  # He et al. ResNet-110: lr 0.01 until training error < threshold
    warmup_until_train_error: float = 80.0
    # exponential: lr = base_lr * decay_rate ** (step * decay_speedup / decay_every) (Ioffe & Szegedy 2015).
    decay_every: int = field(default=1000, metadata={"omit_default": True})
    decay_rate: float = field(default=0.1, metadata={"omit_default": True})
    decay_speedup: float = field(default=1.0, metadata={"omit_default": True})  # 6: decay 6x faster
    # Momentum against iterations, e.g. {name: linear, start: 0.5, end: 0.99, steps: N} (repro.optim
    # VALUE_SCHEDULES); empty: optim.momentum throughout.
    momentum: dict[str, Any] = field(default_factory=dict, metadata={"omit_default": True})


@dataclass
class TrainConfig:
    """Loop lengths, cadences and where the run executes."""

    steps: int = 64000
    batch_size: int = 128
    log_every: int = 100  # running training error/loss (cheap)
    eval_every: int = 400  # held-out evaluation (a full pass over the test set)
    eval_batch_size: int = 256
    train_window: int = 50  # batches in the running training-error window
    checkpoint_every: int = 1000
    # auto | cpu | cuda | cuda:N. Not part of a run's identity: the workflow passes its `device` setting at
    # run time (so `cpu` vs `auto` on one machine never reruns anything), and meta.json records what ran.
    device: str = field(default="auto", metadata={"omit_default": True})
    channels_last: bool = True  # NHWC memory layout: about a third faster for these small convs on CPU
    # Lengths in epochs instead of iterations; repro.derived turns them into steps / eval_every / log_every /
    # checkpoint_every for the run's training-set size, so config.json holds both.
    epochs: float | None = field(default=None, metadata={"omit_default": True})
    eval_every_epochs: float | None = field(default=None, metadata={"omit_default": True})
    log_every_epochs: float | None = field(default=None, metadata={"omit_default": True})
    checkpoint_every_epochs: float | None = field(default=None, metadata={"omit_default": True})
    # Held-out evaluations only from this iteration on (and always at the last step): a paper reporting the
    # median of its last k evaluations needs no full test pass early in training. 0 evaluates throughout.
    eval_from: int = field(default=0, metadata={"omit_default": True})
    eval_from_epochs: float | None = field(default=None, metadata={"omit_default": True})
    # The task's loss (repro.losses): cross_entropy | sum_squared_error; and float32 | float64 (model, data).
    loss: str = field(default="cross_entropy", metadata={"omit_default": True})
    dtype: str = field(default="float32", metadata={"omit_default": True})


@dataclass
class LogSpacedConfig:
    """Probe steps evenly spaced in log(step): ``num`` points from ``start`` to ``stop``; num 0: off."""

    start: int = 1
    stop: int = 0
    num: int = 0


@dataclass
class ProbeConfig:
    """One in-training measurement: a registered probe, when it runs, and its options."""

    name: str = ""
    every: int | None = None  # run every k steps (and at step 0)
    at_end: bool = True
    options: dict[str, Any] = field(default_factory=dict)
    # after_step | before_step (see repro.probes); explicit steps and log-spaced steps besides `every`.
    phase: str = field(default="after_step", metadata={"omit_default": True})
    steps: list[int] = field(default_factory=list, metadata={"omit_default": True})
    log_spaced: LogSpacedConfig = field(default_factory=LogSpacedConfig, metadata={"omit_default": True})


@dataclass
class RunConfig:
    """Everything one training run depends on; written to the run directory as config.json."""

    experiment: str = ""
    variant: str = ""
    seed: int = 0
    scale: str = "quick"
    data: DataConfig = field(default_factory=DataConfig)
    model: dict[str, Any] = field(default_factory=lambda: {"name": "resnet_cifar"})
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    probes: list[ProbeConfig] = field(default_factory=list)
    # After-step constraints (repro.hooks CONSTRAINTS), e.g. [{name: max_norm, c: 3.0}].
    constraints: list[dict[str, Any]] = field(default_factory=list, metadata={"omit_default": True})

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-ready nested dict; fields added later are left out while they hold their default."""
        return _as_dict(self)


def _as_dict(obj: Any) -> Any:
    """Like dataclasses.asdict, but skipping fields marked ``omit_default`` whose value is the default.

    Fields added to the config after runs were made carry that mark, so the resolved config of an existing
    run (a Snakemake param, and the identity its checkpoint is checked against) does not change.
    """
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if f.metadata.get("omit_default") and value == _default(f):
                continue
            out[f.name] = _as_dict(value)
        return out
    if isinstance(obj, list):
        return [_as_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _as_dict(v) for k, v in obj.items()}
    return copy.deepcopy(obj)


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _type_ok(value: Any, annotation: Any) -> bool:
    """Whether ``value`` fits a (simple) type annotation; ints are accepted where floats are expected."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is Any:
        return True
    if origin is list:
        (item,) = typing.get_args(annotation)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, annotation)


def build_section(cls: type, raw: Any, prefix: str, source: str) -> Any:
    """Build dataclass ``cls`` from ``raw``, rejecting unknown keys and wrong types with their dotted path."""
    if not isinstance(raw, dict):
        raise ConfigError(f"'{prefix or 'config'}' must be a mapping in {source}, got {type(raw).__name__}")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if key not in names:
            raise ConfigError(f"unknown key '{path}' in {source}; valid keys here: {names}")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            kwargs[key] = build_section(hint, value, path, source)
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(typing.get_args(hint)[0]):
            if not isinstance(value, list):
                raise ConfigError(f"key '{path}' in {source} must be a list, got {type(value).__name__}")
            item_cls = typing.get_args(hint)[0]
            kwargs[key] = [build_section(item_cls, v, f"{path}[{i}]", source) for i, v in enumerate(value)]
        elif not _type_ok(value, hint):
            raise ConfigError(
                f"key '{path}' in {source} has the wrong type: expected {_type_name(hint)}, "
                f"got {type(value).__name__} ({value!r})"
            )
        else:
            kwargs[key] = copy.deepcopy(value)
    return cls(**kwargs)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def run_config_from_dict(raw: dict[str, Any], source: str = "config") -> RunConfig:
    """Strictly load a run config; unknown keys and wrong types raise ConfigError naming key and source."""
    from repro.model_checks import check_model_builds, check_model_types
    from repro.models import MODELS, check_model_options
    from repro.probes import PROBES

    cfg = build_section(RunConfig, raw, "", source)
    if "name" not in cfg.model:
        raise ConfigError(f"key 'model.name' is missing in {source}")
    if cfg.model["name"] not in MODELS:
        raise ConfigError(
            f"unknown model '{cfg.model['name']}' at 'model.name' in {source}; valid: {MODELS.names()}"
        )
    model_options = {k: v for k, v in cfg.model.items() if k != "name"}
    check_model_options(cfg.model["name"], model_options, source)
    check_model_types(cfg.model["name"], model_options, source)
    from repro.optim import OPTIMIZERS, SCHEDULES

    for key, registry, value in (
        ("optim.name", OPTIMIZERS, cfg.optim.name),
        ("schedule.name", SCHEDULES, cfg.schedule.name),
    ):
        if value not in registry:
            raise ConfigError(f"unknown value '{value}' at '{key}' in {source}; valid: {registry.names()}")
    for i, probe in enumerate(cfg.probes):
        if probe.name not in PROBES:
            raise ConfigError(
                f"unknown probe '{probe.name}' at 'probes[{i}].name' in {source}; valid: {PROBES.names()}"
            )
        PROBES.check_spec({"name": probe.name, **probe.options}, f"probes[{i}].options", source)
    from repro.data.generated import check_data_options
    from repro.hooks import check_step_options
    from repro.probes.cadence import check_probe_cadence

    check_data_options(cfg.data, source)
    check_step_options(cfg, source)
    check_probe_cadence(cfg.probes, source)
    from repro.config_checks import check_ranges

    check_ranges(cfg, source)
    check_model_builds(cfg, source)  # last: it needs every option above to be valid
    if not cfg.data.requested:
        cfg.data.requested = cfg.data.name
    return cfg


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` merged into ``base`` key by key; non-dict values (lists too) replace."""
    merged = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# Numbers as people write them: YAML 1.1 reads 1e30 and 1e-3 as strings (it wants 1.0e+30).
NUMBER = re.compile(r"[+-]?(\d[\d_]*\.?\d*|\.\d+)([eE][+-]?\d+)?")


def parse_override(item: str) -> dict[str, Any]:
    """``"a.b=3"`` -> ``{"a": {"b": 3}}``: the value read as YAML, and numbers such as 1e-3 as floats."""
    dotted, sep, text = item.partition("=")
    parts = dotted.strip().split(".")
    if not sep or not all(parts):
        raise ConfigError("not of the form key=value (e.g. train.steps=100)")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"the value is not valid YAML ({str(err).splitlines()[0]})") from None
    if isinstance(value, str) and NUMBER.fullmatch(text.strip()):
        value = float(text.strip().replace("_", ""))
    for part in reversed(parts):
        value = {part: value}
    return value


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Turn ``["train.steps=100", "model.width=8"]`` into one nested dict (see parse_override)."""
    nested: dict[str, Any] = {}
    for item in items:
        try:
            nested = deep_merge(nested, parse_override(item))
        except ConfigError as err:
            raise ConfigError(f"override '{item}': {err}") from None
    return nested
