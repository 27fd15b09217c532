"""Command-line entry points: run one training run by hand through the pipeline's own config resolution.

Hand runs go to results/hand/{scale}/runs/... by default, which no pipeline rule reads, so a run with
overrides can never feed the report by accident; ``--out`` puts one elsewhere. User errors (a bad key,
value or override, a missing file) print one line and exit with status 2; ``--debug`` adds the traceback.
Every option is checked when the config resolves, before the dataset is looked up or fetched.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from repro.config import ConfigError, RunConfig, deep_merge, parse_override
from repro.experiments import Experiment, load_experiment, resolve_run
from repro.paths import run_dir, tensors_path

DEFAULT_WORKFLOW = Path("configs/config.yaml")
HAND_RESULTS = Path("results") / "hand"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m repro.train", description=__doc__)
    parser.add_argument("experiment", type=Path, help="experiment file, e.g. configs/experiments/<name>.yaml")
    parser.add_argument("--variant", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", default="quick", choices=["smoke", "quick", "full"])
    parser.add_argument("--config", type=Path, help=f"workflow config (default: {DEFAULT_WORKFLOW})")
    parser.add_argument("--out", type=Path, help=f"run directory (default: under {HAND_RESULTS}/)")
    parser.add_argument("--threads", type=int, help="torch threads (default: the config's train_threads)")
    parser.add_argument("--print-config", action="store_true", help="print the resolved config and exit")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error, too")
    parser.add_argument(
        "overrides", nargs="*", help="run-config overrides as key=value, e.g. train.steps=100 optim.lr=1e-3"
    )
    return parser


def train_main(argv: list[str], run: Callable[..., dict[str, Any]]) -> int:
    """Resolve one run (experiment, variant, seed, scale, overrides), fetch its data if needed, train it.

    ``run`` is :func:`repro.train.run`, handed in by ``python -m repro.train`` (repro.train.main), so that
    this module needs nothing from the training loop, which imports it.
    """
    args = _parser().parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from repro.data import DataUnavailableError
    from repro.data.tensors import DataCorruptError

    user_errors = (ConfigError, DataUnavailableError, DataCorruptError, OSError)
    try:
        workflow = read_workflow(args.config)
        experiment = load_experiment(args.experiment)
        resolve = (experiment, args.variant, args.seed, args.scale, workflow, args.overrides)
        cfg = resolve_with_overrides(*resolve)
        if args.print_config:
            print(yaml.safe_dump(cfg.to_dict(), sort_keys=False), end="")
            return 0
        ensure_data(cfg, workflow, args.scale)
    except user_errors as err:
        if args.debug:
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    out = args.out or run_dir(args.scale, experiment.name, args.variant, args.seed, HAND_RESULTS)
    threads = args.threads or int(workflow.get("train_threads") or 1)  # as the pipeline's train_run
    try:
        # train.device=... on the command line wins over the workflow's device setting.
        device = cfg.train.device if cfg.train.device != "auto" else workflow.get("device")
        gpu = workflow.get("gpu") or {}
        meta = run(cfg, out, threads=threads, device=device, allow_tf32=bool(gpu.get("allow_tf32", False)))
    except user_errors:
        if args.debug:
            raise
        return 2  # run() has logged the one-line reason
    except KeyboardInterrupt:
        return 130  # logged by run(); the checkpoint resumes the run next time
    except Exception:
        if args.debug:
            raise
        return 1  # run() has logged the traceback once; raising would print it a second time
    logging.getLogger("repro.train").info(
        "%s: %s in %.1f s -> %s", cfg.variant, meta["status"], meta["wall_time_s"], out
    )
    return 0


def read_workflow(path: Path | None) -> dict[str, Any]:
    """The workflow config: ``path`` (which must exist), else configs/config.yaml if present, else empty."""
    if path is None:
        if not DEFAULT_WORKFLOW.is_file():
            return {}
        path = DEFAULT_WORKFLOW
    if not path.is_file():
        raise ConfigError(f"workflow config {path} does not exist")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"workflow config {path} is not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"workflow config {path} must hold a mapping")
    return raw


def resolve_with_overrides(
    experiment: Experiment, variant: str, seed: int, scale: str, workflow: dict, items: list[str]
) -> RunConfig:
    """The run config with ``items`` applied; an error names the override that causes it, not the file."""
    cfg = resolve_run(experiment, variant, seed, scale, workflow)  # errors here are the file's
    if not items:
        return cfg
    parsed = {}
    for item in items:
        try:
            parsed[item] = parse_override(item)
        except ConfigError as err:
            raise ConfigError(f"override '{item}': {err}") from None
    blamed = dataclasses.replace(experiment, path=Path("the command line"))

    def resolve(chosen: list[str]) -> RunConfig:
        overrides: dict[str, Any] = {}
        for item in chosen:
            overrides = deep_merge(overrides, parsed[item])
        return resolve_run(blamed, variant, seed, scale, workflow, overrides)

    try:
        return resolve(items)
    except ConfigError as err:
        error = err
    # Blame the first override without which the config resolves (overrides may depend on each other).
    for item in items:
        try:
            resolve([i for i in items if i != item])
        except ConfigError:
            continue
        raise ConfigError(f"override '{item}': {error}") from None
    raise ConfigError(f"overrides {' '.join(items)}: {error}") from None


def ensure_data(cfg: RunConfig, workflow: dict, scale: str) -> None:
    """Fetch the run's dataset when its tensor cache is missing or fails its checks (then it is rebuilt)."""
    from repro.data import fetch_dataset, is_generated
    from repro.data.tensors import tensors_problem

    if is_generated(cfg.data.name):
        return
    path = tensors_path(cfg.data.root, cfg.data.name)
    problem = tensors_problem(path)
    if problem is None:
        return
    if path.exists():
        logging.getLogger("repro.data").warning("tensor cache %s: %s; rebuilding it", path, problem)
    mirrors = (workflow.get("data") or {}).get("mirrors") or {}
    mirror = Path(mirrors[cfg.data.name]) if mirrors.get(cfg.data.name) else None
    fetch_dataset(cfg.data.name, Path(cfg.data.root), mirror, scale != "full")
