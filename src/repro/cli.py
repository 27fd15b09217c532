"""Command-line entry points: run one training run by hand through the pipeline's own config resolution."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import yaml

from repro.config import parse_overrides
from repro.experiments import load_experiment, resolve_run
from repro.paths import run_dir, tensors_path


def train_main(argv: list[str]) -> int:
    """Resolve one run (experiment, variant, seed, scale, overrides), fetch its data if needed, train it."""
    parser = argparse.ArgumentParser(prog="python -m repro.train", description=__doc__)
    parser.add_argument(
        "experiment", type=Path, help="experiment file, e.g. configs/experiments/he2016_depth.yaml"
    )
    parser.add_argument("--variant", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", default="quick", choices=["smoke", "quick", "full"])
    parser.add_argument("--config", type=Path, default=Path("configs/config.yaml"), help="workflow config")
    parser.add_argument("--out", type=Path, help="run directory (default: the pipeline's path for this run)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "overrides", nargs="*", help="run-config overrides as key=value, e.g. train.steps=100"
    )
    args = parser.parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from repro.data import fetch_dataset
    from repro.train import run

    workflow = yaml.safe_load(args.config.read_text()) if args.config.exists() else {}
    experiment = load_experiment(args.experiment)
    cfg = resolve_run(
        experiment, args.variant, args.seed, args.scale, workflow, parse_overrides(args.overrides)
    )
    if not tensors_path(cfg.data.root, cfg.data.name).exists():
        mirrors = (workflow.get("data") or {}).get("mirrors") or {}
        fetch_dataset(
            cfg.data.name, Path(cfg.data.root), _mirror(mirrors, cfg.data.name), args.scale != "full"
        )
    out = args.out or run_dir(args.scale, experiment.name, args.variant, args.seed)
    meta = run(cfg, out, threads=args.threads)
    logging.getLogger("repro.train").info(
        "%s: %s in %.1f s -> %s", cfg.variant, meta["status"], meta["wall_time_s"], out
    )
    return 0


def _mirror(mirrors: dict, dataset: str) -> Path | None:
    """The configured mirror folder of ``dataset``, if any."""
    return Path(mirrors[dataset]) if mirrors.get(dataset) else None
