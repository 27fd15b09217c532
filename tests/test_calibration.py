"""Looking and judging apart: calibration blocks, verdict seeds, reasons for unasserted claims."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from repro.calibration import check_calibration, seed_text, unexplained_at_full, verdict_seeds
from repro.config import ConfigError
from repro.experiments import load_experiment

CALIBRATION = {
    "seeds": [0, 1, 2],
    "subset_seed": 0,
    "previously_run": [7],
    "command": "python -m repro.train ...",
    "found": "a 3-point gap in 3/3 seeds",
    "decided": "assert C1 with margin 0",
}


METRIC = {"split": "test", "metric": "error"}


def experiment(quick_seeds: list[int], calibration: dict | None = CALIBRATION, **claim: object) -> dict:
    """A minimal experiment file asserting one claim at quick."""
    quick = {"seeds": quick_seeds, **({"calibration": calibration} if calibration else {})}
    full_reason = {"full": {"because": "protocol", "note": "quick only"}}
    return {
        "name": "toy",
        "paper": {"key": "toy", "citation": "Toy 2020"},
        "base": {"data": {"name": "fashion_mnist"}, "model": {"name": "mlp", "hidden": [8]}},
        "variants": {"a": {}, "b": {"model": {"hidden": [16]}}},
        "floor": {"kind": "linear_classifier"},
        "scales": {"quick": quick},
        "claims": [
            {
                "id": "C1",
                "statement": "a beats b",
                "assert_at": ["quick"],
                "not_asserted": full_reason,
                "checks": [{"kind": "pairwise_less", "pairs": [["a", "b"]], "metric": METRIC}],
                **claim,
            }
        ],
    }  # fmt: skip


def write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_fresh_verdict_seeds_load(tmp_path: Path) -> None:
    loaded = load_experiment(write(tmp_path, experiment([300, 301, 302])))
    assert loaded.seeds("quick") == [300, 301, 302]


def test_an_overlap_of_calibration_and_verdict_seeds_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, experiment([2, 300, 301]))
    with pytest.raises(ConfigError) as err:
        load_experiment(path)
    message = str(err.value)
    assert "seed 2" in message and "scales.quick.seeds" in message
    assert "scales.quick.calibration.seeds" in message and str(path) in message


def test_previously_run_and_robustness_draw_seeds_count_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"seed 7 .*scales\.quick\.calibration\.previously_run"):
        load_experiment(write(tmp_path, experiment([7, 300, 301])))
    # seed 2 is looked at; 2 - 100 would be a verdict seed's robustness draw (seed + 100) at 102
    raw = experiment([300, 301, 302], calibration={**CALIBRATION, "previously_run": [401]})
    with pytest.raises(ConfigError, match=r"seed 401 .*robustness draw"):
        check_calibration(raw, "toy.yaml")


def test_an_asserting_scale_needs_a_calibration_block(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="scales.quick has no 'calibration' block"):
        load_experiment(write(tmp_path, experiment([300], calibration=None)))


def test_claims_say_why_they_are_not_asserted(tmp_path: Path) -> None:
    assert unexplained_at_full(experiment([300], not_asserted={})) == ["C1"]
    assert unexplained_at_full(experiment([300])) == []
    both = {"quick": {"because": "calibration", "note": "did not hold"}}
    with pytest.raises(ConfigError, match="asserted at 'quick' and also names a reason"):
        check_calibration(experiment([300], not_asserted=both), "toy.yaml")
    with pytest.raises(ConfigError, match="form_of names 'C9'"):
        check_calibration(experiment([300], not_asserted={}, form_of="C9"), "toy.yaml")
    bad = {"full": {"because": "bored", "note": "x"}}
    with pytest.raises(ConfigError, match="bored"):
        load_experiment(write(tmp_path, experiment([300], not_asserted=bad)))


def test_verdict_seeds_and_their_text() -> None:
    seeds = verdict_seeds(experiment([300, 301]), "quick", draw_offset=100)
    assert seeds[300] == "scales.quick.seeds" and "robustness draw" in seeds[401]
    assert seed_text([25, 0, 1, 2, 3, 20, 21, 7]) == "0-3, 7, 20-21, 25"
    assert seed_text([]) == ""


def test_every_shipped_experiment_keeps_looking_and_judging_apart() -> None:
    for path in sorted(Path("configs/experiments").glob("*.yaml")):
        raw = load_experiment(path).raw
        check_calibration(raw, str(path))  # what the loader ran; here to name the file on failure
        assert unexplained_at_full(raw) == [], path
        assert raw["floor"]["kind"] in ("linear_classifier", "none"), path  # every file states its floor
