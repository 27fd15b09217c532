"""Claims validated at DAG build: the check registry's keys and types, arms against variants and columns."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from repro.claims import CHECKS, validate_claims
from repro.config import ConfigError
from repro.experiments import load_experiment

from .conftest import REPO

SOURCE = "configs/experiments/toy.yaml"
VARIANTS = ["bn_b2", "bn_b32", "gn_b2", "gn_b32"]
CONFIG_VALUES = {"model.norm.name": {"batch", "group"}, "train.batch_size": {2, 32}, "optim.lr": {0.1},
                 "model.init_std": {0.01, "fan_in"}, "train.augment": {True, False}}  # fmt: skip
METRIC = {"split": "val", "metric": "error"}


def experiment(*checks: dict, claim_id: str = "G1") -> dict:
    """A raw experiment holding one claim with ``checks``."""
    return {"name": "toy", "claims": [{"id": claim_id, "statement": "s", "checks": list(checks)}]}


def validate(raw: dict) -> None:
    validate_claims(raw, VARIANTS, CONFIG_VALUES, SOURCE)


GOOD = [
    {"kind": "ordering", "order": ["gn_b2", "bn_b2"], "margin": 0.5, "metric": METRIC},
    {
        "kind": "pairwise_less",
        "pairs": [
            [
                {"where": {"model.norm.name": "group", "train.batch_size": 2}},
                {"where": {"model.norm.name": "batch", "train.batch_size": 2.0}},
            ]
        ],
        "metric": METRIC,
    },
    {"kind": "within", "pair": ["gn_b2", "gn_b32"], "tolerance": 1, "metric": METRIC},
    {"kind": "near_reference", "reference": {"gn_b32": 24.1}, "tolerance": 1.0, "metric": METRIC},
    {
        "kind": "near_reference",
        "reference": [{"arm": {"where": {"train.batch_size": 32}}, "value": 24.1}],
        "tolerance": 1.0,
        "metric": METRIC,
    },
    {"kind": "bound", "variants": ["bn_b2"], "max": 40, "metric": METRIC},
    {"kind": "diverges", "variants": ["bn_b2"], "expect": False},
    {"kind": "dominates", "pair": ["gn_b2", "bn_b2"], "after": 100, "margin": 0.5, "metric": METRIC},
    {
        "kind": "range_less",
        "pair": ["gn_b2", "bn_b2"],
        "stat": "width",
        "width": [15, 85],
        "metric": {"source": "percentiles", "metric": "sigmoid_input"},
    },
    {
        "kind": "steps_to_reach",
        "order": ["gn_b2", "bn_b2"],
        "target": {"variant": "bn_b32"},
        "metric": METRIC,
    },
    {
        "kind": "flat",
        "axis": "train.batch_size",
        "where": {"model.norm.name": "group"},
        "tolerance": 0.5,
        "metric": {**METRIC, "reduce": "median_last_k", "k": 5},
    },
    {"kind": "flat", "axis": "model.init_std", "tolerance": 0.5, "metric": METRIC},  # categorical: allowed
    {
        "kind": "monotone",
        "axis": "train.batch_size",
        "trend": "non_increasing",
        "margin": 0.2,
        "metric": METRIC,
    },
    {"kind": "argmin", "axis": "train.batch_size", "range": [16, 32], "better": "lower", "metric": METRIC},
    {
        "kind": "crossover",
        "axis": "train.batch_size",
        "pair": [
            {"where": {"model.norm.name": "batch"}},
            {"where": {"model.norm.name": "group"}, "label": "GN"},
        ],
        "range": [8, 32],
        "interpolate": "log",
        "metric": METRIC,
    },
    {"kind": "pairwise_less", "pairs": [[{"where": {"train.augment": "true"}}, "bn_b2"]], "metric": METRIC},
]


@pytest.mark.parametrize("check", GOOD, ids=lambda c: c["kind"])
def test_valid_checks_pass(check: dict) -> None:
    validate(experiment(check))


BAD = [  # (check, text the error must contain)
    (
        {"kind": "ordering", "order": ["gn_b2", "bn_b2"], "margn": 0.5, "metric": METRIC},
        "key 'margn' is not a key of the 'ordering' check (did you mean 'margin'?)",
    ),
    (
        {"kind": "ordering", "order": ["gn_b2", "bn_b2"], "margin": "big", "metric": METRIC},
        "key 'margin' must be a number >= 0, got 'big'",
    ),
    (
        {"kind": "ordering", "order": ["gn_b2"], "metric": METRIC},
        "key 'order' must be a list of at least 2 arms",
    ),
    ({"kind": "ordering", "order": ["gn_b2", "bn_b2"]}, "key 'metric' is required"),
    (
        {"kind": "ordering", "order": ["gn_b2", "bn_b2"], "metric": {"split": "val", "metirc": "error"}},
        "unknown key 'metric.metirc'",
    ),
    (
        {"kind": "ordering", "order": ["gn_b2", "bn_b2"], "metric": {**METRIC, "reduce": "last"}},
        "'metric.reduce'",
    ),
    (
        {"kind": "ordering", "order": ["gn_b2", "bn_b3"], "metric": METRIC},
        "key 'order' names variant 'bn_b3', which the experiment does not define",
    ),
    (
        {"kind": "orderin", "order": ["gn_b2", "bn_b2"], "metric": METRIC},
        "key 'kind' is 'orderin'; valid kinds",
    ),
    (
        {
            "kind": "pairwise_less",
            "pairs": [["gn_b2", {"where": {"model.norm.nam": "batch"}}]],
            "metric": METRIC,
        },
        "names config column 'model.norm.nam', which no run has (did you mean 'model.norm.name'?)",
    ),
    (
        {"kind": "pairwise_less", "pairs": [["gn_b2", {"where": {"train.batch_size": 4}}]], "metric": METRIC},
        "selects train.batch_size = 4, which no run has",
    ),
    (
        {"kind": "pairwise_less", "pairs": [["gn_b2", {"wher": {"train.batch_size": 2}}]], "metric": METRIC},
        "unknown arm key 'wher'",
    ),
    (
        {"kind": "within", "pair": ["gn_b2", "gn_b32", "bn_b2"], "tolerance": 1, "metric": METRIC},
        "key 'pair' must be a list of exactly 2 arms",
    ),
    ({"kind": "bound", "variants": ["bn_b2"], "metric": METRIC}, "needs 'min', 'max' or both"),
    (
        {"kind": "bound", "variants": ["bn_b2"], "min": 5, "max": 1, "metric": METRIC},
        "'min' (5) is above 'max'",
    ),
    (  # a non-inferiority margin is fixed at calibration, never picked from the data or left implicit
        {"kind": "dominates", "pair": ["gn_b2", "bn_b2"], "after": 100, "metric": METRIC},
        "key 'margin' is required by a 'dominates' check",
    ),
    (
        {"kind": "dominates", "pair": ["gn_b2", "bn_b2"], "margin": -0.5, "metric": METRIC},
        "key 'margin' must be a number >= 0, got -0.5",
    ),
    (
        {"kind": "diverges", "variants": ["bn_b2"], "min_fraction": 1.5},
        "key 'min_fraction' must be a number in",
    ),
    (
        {
            "kind": "flat",
            "axis": "train.batch_size",
            "tolerance": 0.5,
            "where": {"model.norm.name": "layer"},
            "metric": METRIC,
        },
        "selects model.norm.name = 'layer', which no run has",
    ),
    ({"kind": "flat", "axis": "optim.lr", "tolerance": 0.5, "metric": METRIC}, "takes only the value"),
    (
        {"kind": "flat", "axis": "train.batchsize", "tolerance": 0.5, "metric": METRIC},
        "names config column 'train.batchsize'",
    ),
    (
        {"kind": "monotone", "axis": "model.init_std", "trend": "increasing", "metric": METRIC},
        "must be numeric",
    ),
    (
        {"kind": "monotone", "axis": "train.batch_size", "trend": "up", "metric": METRIC},
        "key 'trend' must be one of ['increasing', 'decreasing', 'non_decreasing', 'non_increasing']",
    ),
    (
        {"kind": "argmin", "axis": "train.batch_size", "range": [32, 16], "metric": METRIC},
        "key 'range' must be [low, high] with low <= high",
    ),
    (
        {
            "kind": "crossover",
            "axis": "train.batch_size",
            "pair": ["bn_b2", "gn_b2"],
            "range": [0, 32],
            "interpolate": "log",
            "metric": METRIC,
        },
        "with 'interpolate: log' the 'range' must be positive",
    ),
]


@pytest.mark.parametrize(("check", "message"), BAD, ids=[m[:30] for _, m in BAD])
def test_invalid_checks_name_the_claim_key_and_file(check: dict, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        validate(experiment(check, claim_id="G7"))
    text = str(error.value)
    assert message in text and "claim 'G7'" in text and SOURCE in text


def test_claim_level_keys() -> None:
    good = GOOD[0]
    with pytest.raises(ConfigError, match="id 'G1' is used by two claims"):
        validate({"claims": [*experiment(good)["claims"], *experiment(good)["claims"]]})
    with pytest.raises(ConfigError, match="unknown key 'asserted_at'"):
        validate({"claims": [{"id": "G1", "statement": "s", "asserted_at": ["quick"], "checks": [good]}]})
    with pytest.raises(ConfigError, match="'assert_at' names 'fast'"):
        validate({"claims": [{"id": "G1", "statement": "s", "assert_at": ["fast"], "checks": [good]}]})
    with pytest.raises(ConfigError, match="'checks' must list at least one check"):
        validate({"claims": [{"id": "G1", "statement": "s", "checks": []}]})


def test_every_registered_kind_documents_itself_and_takes_a_metric_unless_it_reads_status() -> None:
    for name in CHECKS.names():
        kind = CHECKS.get(name)
        assert kind.doc, name
        assert ("metric" in kind.keys) == (name != "diverges"), name
    assert {"flat", "crossover", "argmin", "monotone"} <= set(CHECKS.names())


def test_schema_defers_check_kinds_to_the_registry() -> None:
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "experiment.schema.yaml").read_text())
    checks = schema["properties"]["claims"]["items"]["properties"]["checks"]["items"]
    assert checks["required"] == ["kind"] and "enum" not in checks["properties"]["kind"]


@pytest.mark.parametrize("name", ["he2016_depth", "ioffe2015_mnist", "ioffe2015_ablation"])
def test_experiment_files_validate_and_a_misspelt_key_stops_the_build(name: str, tmp_path: Path) -> None:
    path = REPO / "configs" / "experiments" / f"{name}.yaml"
    load_experiment(path)
    raw = yaml.safe_load(path.read_text())
    broken = copy.deepcopy(raw)
    claim = broken["claims"][0]
    claim["checks"][0]["tolerence"] = 1.0
    (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(broken, sort_keys=False))
    with pytest.raises(ConfigError, match=rf"claim '{claim['id']}' in .*{name}.yaml.*key 'tolerence'"):
        load_experiment(tmp_path / f"{name}.yaml")
