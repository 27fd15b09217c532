"""The preflight, the cost forecast and the requests sized from it: hand counts and fallbacks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from repro import forecast, sizing
from repro.config import ProbeConfig, run_config_from_dict
from repro.costs import count_checkpoints, count_evaluations, count_probe_calls
from repro.preflight import COLUMNS, Entry, PreflightError, check, extrapolate, measure_run, preflight
from repro.probes.cadence import fixed_steps, is_due
from repro.runio import write_rows

B = 16  # the toy run's batch size


def toy_config(**train: object) -> dict:
    """A tiny MLP on generated data: 8 inputs, one hidden layer of 16, 4 outputs, no biases counted."""
    return {
        "experiment": "toy",
        "variant": "mlp",
        "data": {
            "name": "gaussian_linear",
            "options": {"n_train": 64, "n_test": 32, "dim": 8, "out_dim": 4, "seed": 0},
            "pad": 0,
            "flip": False,
            "normalize": "none",
        },
        "model": {"name": "mlp", "hidden": [16], "norm": "none"},
        "optim": {"name": "sgd", "lr": 0.01, "momentum": 0.0, "weight_decay": 0.0},
        "schedule": {"name": "constant"},
        "train": {
            "steps": 100,
            "batch_size": B,
            "eval_batch_size": 32,
            "loss": "sum_squared_error",
            "channels_last": False,
            "eval_every": 10,
            "checkpoint_every": 50,
            "log_every": 10,
            **train,
        },  # fmt: skip
    }


def test_toy_run_flops_match_a_hand_count(tmp_path: Path) -> None:
    cfg = run_config_from_dict(toy_config(), source="test")
    row = measure_run(cfg, tmp_path, threads=1, device="cpu", steps=2)
    # Forward: 2 x B x (8*16 + 16*4) multiply-adds; backward: the same again for the weight gradients, plus
    # the second layer's input gradient 2 x B x 16*4 (the data need no gradient, so the first layer has none).
    forward = 2 * B * (8 * 16 + 16 * 4)
    assert row["train_flops"] == forward + forward + 2 * B * 16 * 4
    # One evaluation: the 32 test images forward once.
    assert row["eval_flops"] == 2 * 32 * (8 * 16 + 16 * 4)
    assert row["params"] == 8 * 16 + 16 + 16 * 4 + 4
    assert row["evaluations"] == 10 and row["checkpoints"] == 2 and row["steps"] == 100
    assert row["step_s"] > 0 and row["peak_mem_mb"] > 0


def test_a_run_that_cannot_build_fails_the_preflight_naming_it() -> None:
    good = Entry("toy", "mlp", (0, 1), "toypaper", toy_config())
    bad_config = toy_config(batch_size=1000)  # more images a batch than the 64 the dataset has
    bad = Entry("toy", "too_big", (0,), "toypaper", {**bad_config, "variant": "too_big"})
    rows = preflight([good, bad], threads=1, device="cpu", steps=2)
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert rows[0]["seeds"] == 2 and rows[0]["paper"] == "toypaper"
    assert "batch" in rows[1]["error"]
    with pytest.raises(PreflightError, match="toy/too_big") as err:
        check(rows, "preflight.csv")
    assert "toy/mlp" not in str(err.value)
    check(rows[:1], "preflight.csv")  # all passed: nothing raised


def test_evaluation_checkpoint_and_probe_counts_follow_the_loop() -> None:
    for steps, every, start in [(100, 10, 0), (95, 10, 0), (100, 10, 55), (7, 3, 0), (5, 10, 0), (20, 5, 20)]:
        brute = sum(1 for s in range(1, steps + 1) if (s % every == 0 and s >= start) or s == steps)
        assert count_evaluations(steps, every, start) == brute, (steps, every, start)
    assert count_checkpoints(100, 50) == 2 and count_checkpoints(101, 50) == 3
    probes = [
        ProbeConfig(name="a", every=7),
        ProbeConfig(name="b", every=None, steps=[0, 3, 50], at_end=True),
        ProbeConfig(name="c", every=5, phase="before_step", at_end=False),
        ProbeConfig(name="d", every=10, steps=[3], at_end=True),
    ]
    probes[1].log_spaced.start, probes[1].log_spaced.stop, probes[1].log_spaced.num = 1, 40, 6
    for probe in probes:
        last = 40 if probe.phase == "after_step" else 39
        brute = sum(1 for s in range(last + 1) if is_due(probe, s, last, fixed_steps(probe)))
        assert count_probe_calls(probe, 40) == brute, probe.name


def test_probe_cost_extrapolates_a_line_to_the_whole_data() -> None:
    assert extrapolate((0.1, 0.2), [2.0, 3.0]) == pytest.approx(11.0)  # 1 fixed + 10 per whole data
    assert extrapolate((0.1, 0.2), [3.0, 2.9]) == 3.0  # noise: never below what was measured
    assert extrapolate((1.0,), [5.0]) == 5.0
    assert extrapolate((0.1, 0.2, 0.4), [2.0, 3.0, 5.0]) == pytest.approx(11.0)


def test_probe_cost_of_a_probe_that_caps_its_sample_stays_flat() -> None:
    # Srivastava's mc_dropout draws at most 2,000 test images: 1,000 at 0.1, then 2,000 from 0.2 on.
    assert extrapolate((0.1, 0.2, 0.4), [8.1, 16.6, 16.6]) == pytest.approx(16.6)


def preflight_row(**values: object) -> dict:
    row = {
        "experiment": "e", "variant": "v", "paper": "p", "seeds": 3.0, "model": "mlp", "device": "cpu",
        "status": "ok", "steps": 1000.0, "evaluations": 10.0, "checkpoints": 2.0, "params": 10.0,
        "train_flops": 3e9, "eval_flops": 5e9, "setup_s": 2.0, "step_s": 0.01, "eval_s": 0.5,
        "checkpoint_s": 0.25, "peak_mem_mb": 400.0,
        "probe_calls": json.dumps({"ics": 4}), "probe_costs": json.dumps({"ics": {"s": 1.5, "flops": 1e9}}),
    }  # fmt: skip
    return row | values


def test_forecast_arithmetic() -> None:
    row = preflight_row()
    # 1000 steps x 3 GFLOP + 10 evaluations x 5 GFLOP + 4 probe calls x 1 GFLOP
    assert forecast.run_flops(row) == pytest.approx(3054e9)
    # 2 s setup + 1000 x 0.01 + 10 x 0.5 + 2 x 0.25 + 4 x 1.5
    assert forecast.device_seconds(row) == pytest.approx(23.5)
    gpu = {"peak_tflops": 10.0, "efficiency": {"default": 0.5, "mlp": 0.1}, "step_overhead_ms": 2.0}
    # 3054 GFLOP at 10 TFLOP/s x 0.1 (the mlp family), plus 1000 steps x 2 ms
    assert forecast.gpu_seconds(row, gpu) == pytest.approx(3.054 + 2.0)
    assert forecast.gpu_seconds(row | {"model": "vgg"}, gpu) == pytest.approx(3054e9 / 5e12 + 2.0)
    rows = forecast.forecast_rows(
        [row, row | {"variant": "w", "paper": "q", "seeds": 1.0}, row | {"status": "failed"}], gpu
    )
    assert len(rows) == 2
    summary = forecast.summarize(rows, [1, 2])
    assert [s["paper"] for s in summary] == ["p", "q", "total"]
    total = summary[-1]
    assert total["runs"] == 4  # seeds counted: 3 + 1
    assert total["device_h"] == pytest.approx(4 * 23.5 / 3600)
    assert total["wall_h_1gpu"] == pytest.approx(total["gpu_h"])
    assert total["wall_h_2gpu"] == pytest.approx(2 * 5.054 / 3600)  # four equal runs on two GPUs
    assert "GPU-hours" in forecast.markdown(summary, "cpu")
    assert r"\toprule" in forecast.latex(summary, "cpu", "G")


def test_makespan_is_bounded_by_the_longest_run() -> None:
    assert forecast.makespan([10.0, 1.0, 1.0], 8) == 10.0
    # Longest first onto the least loaded: 3|3, 5|3, 5|5, 7|5 (the optimum, 6, is not what LPT finds).
    assert forecast.makespan([3.0, 3.0, 2.0, 2.0, 2.0], 2) == 7.0
    assert forecast.makespan([4.0, 3.0, 3.0, 2.0], 2) == 6.0


def test_requests_come_from_the_forecast_and_fall_back_to_the_constants(tmp_path: Path) -> None:
    path = tmp_path / "forecast.csv"
    assert sizing.load_forecast(path) == {}  # no preflight at this scale
    assert sizing.request({}, "e", "v", "runtime", 1440) == 1440
    row = {**forecast.forecast_rows([preflight_row()])[0], "device_s": 3000.0, "gpu_s": 600.0}
    write_rows(path, [row], forecast.COLUMNS)
    loaded = sizing.load_forecast(path)
    settings = {"runtime_safety": 2.0, "mem_safety": 1.5, "min_runtime": 10, "min_mem_mb": 100}
    assert sizing.request(loaded, "e", "v", "runtime", 1440, settings) == 100  # 3000 s x 2 = 100 min
    assert sizing.request(loaded, "e", "v", "mem_mb", 8000, settings) == 600  # 400 MB x 1.5
    basis = settings | {"basis": "reference_gpu"}
    assert sizing.request(loaded, "e", "v", "runtime", 1440, basis) == 20  # 600 s x 2
    assert sizing.request(loaded, "e", "v", "runtime", 1440, settings | {"min_runtime": 500}) == 500
    assert sizing.request(loaded, "e", "other", "runtime", 1440, settings) == 1440  # a run added since
    notice = sizing.forecast_notice(loaded, [("e", "v"), ("e", "v"), ("e", "other")], str(path))
    assert "2 of 3 training runs" in notice and math.isclose(2 * 3000 / 3600, 1.67, abs_tol=0.01)


def test_preflight_columns_are_what_the_forecast_reads() -> None:
    needed = {"steps", "evaluations", "checkpoints", "train_flops", "eval_flops", "setup_s", "step_s"}
    assert needed | {"probe_calls", "probe_costs", "peak_mem_mb", "status"} <= set(COLUMNS)
