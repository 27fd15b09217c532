"""Calling the configured probes from the training loop: cadence, isolation, own RNG, rows and artifacts."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import torch

from repro.probes.artifacts import write_artifacts
from repro.probes.base import ProbeContext, ProbeResult, Row, build_probe
from repro.probes.cadence import fixed_steps, is_due
from repro.probes.isolation import isolated


def probe_seed(run_seed: int, step: int, phase: str, probe: str) -> int:
    """A stable 32-bit seed for one probe call: a function of the run seed, step, phase and probe name."""
    return zlib.crc32(f"{run_seed}/{step}/{phase}/{probe}".encode())


class ProbeRunner:
    """The run's probes, built once; ``run(phase, ...)`` calls those due at a step in that phase."""

    def __init__(self, configs: list[Any], total_steps: int, run_seed: int, out_dir: Path) -> None:
        self.entries = [(cfg, build_probe(cfg.name, cfg.options), fixed_steps(cfg)) for cfg in configs]
        self.total_steps = total_steps
        self.run_seed = run_seed
        self.out_dir = Path(out_dir)

    def has(self, phase: str) -> bool:
        """Whether any probe runs in ``phase`` (the loop skips the phase entirely otherwise)."""
        return any(cfg.phase == phase for cfg, _, _ in self.entries)

    def run(self, phase: str, context: ProbeContext, step: int, store: dict[str, list[Row]]) -> bool:
        """Call every ``phase`` probe due at ``step`` in isolation; rows go into ``store`` (checkpointed).

        Returns whether any probe ran (the loop charges the time to its probe phase then).
        """
        ran = False
        last = self.total_steps if phase == "after_step" else self.total_steps - 1
        for cfg, probe, fixed in self.entries:
            if cfg.phase != phase or not is_due(cfg, step, last, fixed):
                continue
            context.phase, context.step = phase, step
            device = context.data.train_x.device if context.data is not None else torch.device("cpu")
            context.generator = torch.Generator(device=device)
            context.generator.manual_seed(probe_seed(self.run_seed, step, phase, cfg.name))
            with isolated(context.model, context.optimizer):
                result = probe(context)
            ran = True
            rows, artifacts = (
                (result.rows, result.artifacts) if isinstance(result, ProbeResult) else (result, {})
            )
            store.setdefault(cfg.name, []).extend({"step": step, **r} for r in rows)
            if artifacts:
                write_artifacts(self.out_dir, cfg.name, step, artifacts)
        return ran
