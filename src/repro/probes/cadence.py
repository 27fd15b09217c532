"""When a probe runs: ``every`` k steps, explicit ``steps``, ``log_spaced`` steps, and ``at_end``.

A probe is due at step s when any of these holds (they combine):

- ``every: k``: s % k == 0 (so also at step 0, the call before training for an after_step probe);
- ``steps: [s1, s2, ...]``: s is listed;
- ``log_spaced: {start, stop, num}``: s is one of ``num`` points spaced evenly in log(step) from ``start``
  to ``stop`` (both included, rounded to integers, duplicates merged): dense early, sparse late, for
  training curves on a log axis. ``start`` must be >= 1; list 0 in ``steps`` to add the start;
- ``at_end``: s is the phase's last step (``train.steps`` after a step, ``train.steps - 1`` before one).
"""

from __future__ import annotations

from typing import Any


def log_spaced_steps(start: int, stop: int, num: int) -> list[int]:
    """``num`` integers spaced evenly in log space from ``start`` to ``stop`` (inclusive), deduplicated."""
    if num <= 0:
        return []
    if num == 1:
        return [start]
    ratio = stop / start
    return sorted({round(start * ratio ** (i / (num - 1))) for i in range(num)})


def fixed_steps(probe: Any) -> frozenset[int]:
    """The explicit and log-spaced steps of a ProbeConfig."""
    spaced = probe.log_spaced
    return frozenset(probe.steps) | frozenset(log_spaced_steps(spaced.start, spaced.stop, spaced.num))


def is_due(probe: Any, step: int, last_step: int, fixed: frozenset[int]) -> bool:
    """Whether ProbeConfig ``probe`` runs at ``step``; ``fixed`` is ``fixed_steps(probe)``."""
    return bool(
        (probe.every and step % probe.every == 0) or step in fixed or (probe.at_end and step == last_step)
    )


def check_probe_cadence(probes: list[Any], source: str) -> None:
    """Reject an unknown phase or an impossible cadence, naming the key and the source."""
    from repro.errors import ConfigError
    from repro.probes.base import PHASES

    for i, probe in enumerate(probes):
        key = f"probes[{i}]"
        if probe.phase not in PHASES:
            raise ConfigError(
                f"unknown value '{probe.phase}' at '{key}.phase' in {source}; valid: {list(PHASES)}"
            )
        if probe.every is not None and probe.every <= 0:
            raise ConfigError(f"'{key}.every' must be a positive number of steps in {source}")
        if any(s < 0 for s in probe.steps):
            raise ConfigError(f"'{key}.steps' must hold steps >= 0 in {source}, got {probe.steps}")
        spaced = probe.log_spaced
        if spaced.num < 0 or (spaced.num and not 1 <= spaced.start <= spaced.stop):
            raise ConfigError(
                f"'{key}.log_spaced' needs 1 <= start <= stop and num >= 0 in {source}, "
                f"got start {spaced.start}, stop {spaced.stop}, num {spaced.num}"
            )
