"""Declarative claims, checked when the DAG is built and evaluated on tidy tables with seed-aware verdicts.

A claim in an experiment file::

    - id: R3
      statement: At equal depth the ResNet has lower training error than the plain net.
      assert_at: [quick, full]
      checks:
        - {kind: pairwise_less, pairs: [[deep_res, deep_plain]], margin: 1.0,
           metric: {split: train, metric: error, reduce: final}}
        - {kind: flat, axis: train.batch_size, where: {model.norm.name: group}, tolerance: 1.0,
           metric: {split: val, metric: error, reduce: median_last_k, k: 5}}

An arm (each side of a comparison) is a variant name or ``{where: {column: value, ...}, label: ...}``,
selecting runs by config columns of the tidy table. Check kinds and their keys live in the registry
(``CHECKS``); ``validate_claims`` checks a file against it and against the experiment's runs. Verdicts:
reproduced, direction only, inconclusive, contradicted, not evaluable (``repro.claims.verdicts``, which
states the rules exactly); a claim is asserted only at the scales it names and reported elsewhere.

In brief, rules fixed before the results are seen, in the style of a pre-registered study: a directional
claim is reproduced when its 95% interval over seeds lies above its margin in every seed's direction, and
contradicted when the interval lies wholly below the margin (whatever its sign); an equivalence or
location claim when the interval lies inside (contradicted: wholly outside) its range; a claim counted
over k of n seeds or units by the exact Clopper-Pearson interval of k/n against 1/2; a non-inferiority
claim (``dominates``) by an intersection-union test at every evaluation against a margin the experiment
file fixes. Fewer than 3 seeds never reproduce or contradict anything (``MIN_SEEDS``).

Modules: registry (kinds and keys), arms (selecting runs), stats (intervals), verdicts (rules), the
checks by family (checks_means, checks_status, checks_curves, checks_sweeps), validate, evaluate.
"""

from repro.claims import checks_curves, checks_means, checks_status, checks_sweeps  # noqa: F401  (register)
from repro.claims.evaluate import (
    CLAIM_COLUMNS,
    ClaimResult,
    assess_claim,
    evaluate_claim,
    evaluate_claims,
)
from repro.claims.registry import CHECKS
from repro.claims.validate import validate_claims
from repro.claims.verdicts import CONTRADICTED, DIRECTION_ONLY, INCONCLUSIVE, NOT_EVALUABLE, ORDER, REPRODUCED

__all__ = [
    "CHECKS",
    "CLAIM_COLUMNS",
    "CONTRADICTED",
    "DIRECTION_ONLY",
    "INCONCLUSIVE",
    "NOT_EVALUABLE",
    "ORDER",
    "REPRODUCED",
    "ClaimResult",
    "assess_claim",
    "evaluate_claim",
    "evaluate_claims",
    "validate_claims",
]
