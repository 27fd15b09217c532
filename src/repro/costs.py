"""How often a run does each costed thing: training steps, held-out evaluations, probe calls, checkpoints.

Pure arithmetic on a resolved run config, mirroring the training loop's cadences (repro.train
``_after_step`` and repro.probes.cadence), so the cost forecast counts what a run will actually do.
"""

from __future__ import annotations

from typing import Any

from repro.probes.cadence import fixed_steps


def count_evaluations(steps: int, every: int, start: int = 0) -> int:
    """Held-out evaluations: at multiples of ``every`` from ``start`` on, and always at the last step."""
    if steps <= 0:
        return 0
    first = max(every, -(-start // every) * every)  # the first multiple of ``every`` at or after ``start``
    regular = max(0, (steps - first) // every + 1) if first <= steps else 0
    on_last = 0 if steps % every == 0 and steps >= start else 1
    return regular + on_last


def count_checkpoints(steps: int, every: int) -> int:
    """Checkpoints: at multiples of ``every`` before the last step, then the final one."""
    return (steps - 1) // every + 1 if steps > 0 else 1


def count_probe_calls(probe: Any, steps: int) -> int:
    """Calls of ProbeConfig ``probe`` in a run of ``steps`` steps (its phase's steps are 0..last)."""
    last = steps if probe.phase == "after_step" else steps - 1
    if last < 0:
        return 0
    # Steps due outside the ``every`` grid: listed, log-spaced and the last one (when at_end).
    extra = {s for s in fixed_steps(probe) if 0 <= s <= last}
    if probe.at_end:
        extra.add(last)
    if probe.every:
        extra = {s for s in extra if s % probe.every != 0}
        return last // probe.every + 1 + len(extra)
    return len(extra)


def run_events(cfg: Any) -> dict[str, Any]:
    """Steps, evaluations, checkpoints and each probe's calls of a resolved RunConfig."""
    train = cfg.train
    return {
        "steps": train.steps,
        "evaluations": count_evaluations(train.steps, train.eval_every, train.eval_from),
        "checkpoints": count_checkpoints(train.steps, train.checkpoint_every),
        "probe_calls": {p.name: count_probe_calls(p, train.steps) for p in cfg.probes},
    }
