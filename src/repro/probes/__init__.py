"""In-training measurements, registered by name and called by the training loop at configured steps.

A probe is a class built with its config ``options``; the loop calls ``probe(context)`` at the steps its
cadence names (``every``, ``steps``, ``log_spaced``, ``at_end``: see ``repro.probes.cadence``) in its
``phase``:

- ``after_step`` (default): after the optimizer step of step s (and once before training, at step 0); the
  context's batch, output and loss are those of the batch just trained on.
- ``before_step``: at step s = 0 .. steps-1, with the model after s updates, once the loss and gradients of
  the batch of update s+1 are computed (they sit in ``param.grad``; ``context.gradients()`` copies them)
  and before its ``optimizer.step()``; ``at_end`` means the last batch (s = steps-1).

Either way the loop calls the probe inside ``isolated(model, optimizer)`` (``repro.probes.isolation``): a
probe may run extra forward/backward passes and even optimizer steps on the live model, and afterwards
parameters, gradients, optimizer state, all buffers (BN running statistics), train/eval modes and the
global RNG states are restored exactly. Probes nest ``context.isolated()`` themselves to try several things
from the same state. For randomness a probe uses ``context.generator``, its own torch.Generator seeded from
the run seed, the step, the phase and the probe's name, never the global RNGs.

A probe returns long-form rows (dicts with ``metric`` and ``value`` and any key columns such as ``layer``),
or a ``ProbeResult`` with rows and artifacts (files for figures: see ``repro.probes.artifacts``).
"""

from repro.probes import (  # noqa: F401  (registers them)
    activation_hist,
    activation_stats,
    eval_error,
    filters,
    gradient_step,
    ics,
    landscape,
    layer_response,
    mc_dropout,
    percentiles,
)
from repro.probes.base import (  # noqa: F401  (the package's names)
    PHASES,
    PROBES,
    Probe,
    ProbeContext,
    ProbeResult,
    Row,
    build_probe,
)
