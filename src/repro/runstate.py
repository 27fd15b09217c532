"""A run's bookkeeping: wall time per phase, and the state that a checkpoint carries across a restart."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import torch


class PhaseClock:
    """Wall time split by phase (setup, train, eval, probes, checkpoint, write), for meta.json's timing_s."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self.mark = time.perf_counter()

    def lap(self, phase: str) -> float:
        """Charge the time since the last lap to ``phase``; returns that time."""
        now = time.perf_counter()
        elapsed, self.mark = now - self.mark, now
        self.spent[phase] = self.spent.get(phase, 0.0) + elapsed
        return elapsed

    def totals(self) -> dict[str, float]:
        """Seconds per phase of this process (a resumed run counts only its last segment), rounded."""
        return {phase: round(seconds, 3) for phase, seconds in self.spent.items()}


class RunState:
    """Everything that must survive a restart, beyond the model and optimizer."""

    def __init__(self, n_train: int, window: int) -> None:
        self.step = 0
        self.metrics: list[dict[str, Any]] = []
        self.probe_rows: dict[str, list[dict[str, Any]]] = {}
        self.window: deque[tuple[int, float, int]] = deque(maxlen=window)  # (wrong, loss sum, count)
        self.warming_up = True
        self.warmup_ended_at: int | None = None
        self.order = torch.empty(0, dtype=torch.long)
        self.position = n_train  # forces a fresh permutation on the first step
        self.resumed_from: list[int] = []

    def train_error(self) -> tuple[float, float]:
        """(error %, loss) over the running window of augmented training batches."""
        wrong = sum(w for w, _, _ in self.window)
        loss = sum(s for _, s, _ in self.window)
        count = sum(c for _, _, c in self.window)
        return 100.0 * wrong / max(count, 1), loss / max(count, 1)
