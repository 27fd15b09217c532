"""benchmarks/bench.py: the runs aggregation, the FLOP counter, the bare loop and the cadence scaling.

Fast and without timing assertions: what is checked is the arithmetic around the clocks, not the clocks.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
from torch import nn

from benchmarks import bench
from repro.config import RunConfig


def _write_run(root: Path, experiment: str, variant: str, seed: int, meta: dict, batch_size: int) -> None:
    folder = root / "quick" / "runs" / experiment / variant / f"seed{seed}"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps({"status": "completed", **meta}))
    (folder / "config.json").write_text(
        json.dumps({"train": {"batch_size": batch_size}, "model": {"name": "mlp"}})
    )


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """Two experiments: ``a`` with one timed and one untimed (older) run, ``b`` with one timed run."""
    root = tmp_path / "results"
    timing_a = {"setup": 1.0, "train": 6.0, "eval": 2.0, "probes": 0.0, "checkpoint": 0.5, "write": 0.5}
    _write_run(root, "a", "v1", 0, {"wall_time_s": 10.0, "steps_completed": 100, "timing_s": timing_a}, 12)
    _write_run(root, "a", "v1", 1, {"wall_time_s": 20.0, "steps_completed": 100}, 12)
    timing_b = {"setup": 2.0, "train": 4.0, "eval": 0.0, "probes": 4.0, "checkpoint": 0.0, "write": 0.0}
    _write_run(root, "b", "v2", 0, {"wall_time_s": 10.0, "steps_completed": 50, "timing_s": timing_b}, 8)
    return root


def test_runs_summary_totals_and_shares(results: Path) -> None:
    rows = {r["experiment"]: r for r in bench.summarize_runs(bench.collect_runs(results, "quick"), 2.5)}
    assert list(rows) == ["a", "b", "TOTAL"]
    a, b, total = rows["a"], rows["b"], rows["TOTAL"]
    assert (a["runs"], a["timed"], b["runs"], total["runs"], total["timed"]) == (2, 1, 1, 3, 2)
    assert a["total_min"] == pytest.approx(0.5) and a["mean_s"] == pytest.approx(15.0)
    assert total["total_min"] == pytest.approx(40.0 / 60.0)
    # Images over train-phase seconds, or over the wall for the run without timing_s.
    assert a["images_per_s"] == pytest.approx(2 * 100 * 12 / (6.0 + 20.0))
    assert b["images_per_s"] == pytest.approx(50 * 8 / 4.0)
    assert total["images_per_s"] == pytest.approx((2400 + 400) / 30.0)
    # Shares come from the timed run only and add up to 100%.
    assert a["train_%"] == pytest.approx(60.0) and a["eval_%"] == pytest.approx(20.0)
    assert b["probes_%"] == pytest.approx(40.0)
    assert total["train_%"] == pytest.approx(100.0 * 10.0 / 20.0)
    assert sum(total[f"{p}_%"] for p in bench.PHASES) == pytest.approx(100.0)
    assert (a["startup_s"], total["startup_s"]) == (5.0, 7.5)


def test_runs_without_timing_leave_the_shares_blank(tmp_path: Path) -> None:
    _write_run(tmp_path, "old", "v", 0, {"wall_time_s": 30.0, "steps_completed": 10}, 4)
    row = bench.summarize_runs(bench.collect_runs(tmp_path, "quick"))[0]
    assert row["train_%"] is None and row["startup_s"] is None
    assert row["images_per_s"] == pytest.approx(40 / 30.0)
    table = bench.markdown_table([row], ["experiment", "train_%"])
    assert table.splitlines()[-1] == "| old |  |"


def test_runs_command_writes_the_csv(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "runs.csv"
    assert bench.main(["runs", "--results", str(results), "--scale", "quick", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["experiment"] for r in rows] == ["a", "b", "TOTAL"]
    assert rows[0]["startup_s"] == ""  # no --startup given
    assert "| TOTAL | 3 | 2 |" in capsys.readouterr().out


def test_train_step_flops_counts_forward_and_backward() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 2))
    x, y = torch.randn(4, 1, 4, 4), torch.tensor([0, 1, 0, 1])
    flops = bench.train_step_flops(model, nn.functional.cross_entropy, x, y)
    forward = 2 * 4 * (16 * 8 + 8 * 2)
    assert flops > forward  # the backward pass is counted too
    assert all(p.grad is None for p in model.parameters())  # counted on a copy


def test_bare_loop_runs_the_requested_steps() -> None:
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    calls = {"forward": 0, "step": 0, "after": 0}
    model.register_forward_hook(lambda *_: calls.__setitem__("forward", calls["forward"] + 1))

    class CountingSGD(torch.optim.SGD):
        def step(self, closure: object = None) -> object:
            calls["step"] += 1
            return super().step(closure)

    optimizer = CountingSGD(model.parameters(), lr=0.1)
    train_x, train_y = torch.randn(20, 1, 4, 4), torch.randint(0, 3, (20,))

    def after() -> None:
        calls["after"] += 1

    done = bench.bare_loop(
        model, optimizer, nn.functional.cross_entropy, train_x, train_y, 5, 7, torch.Generator(), False, after
    )
    assert done == 7 and calls == {"forward": 7, "step": 7, "after": 7}


def test_cadence_counts() -> None:
    assert bench.count_evaluations(300, 75) == 4
    assert bench.count_evaluations(625, 32, 485) == 5  # 512, 544, 576, 608 and the last step
    assert bench.count_evaluations(10, 4) == 3  # 4, 8 and the last step
    assert bench.count_checkpoints(300, 75) == 4  # 75, 150, 225 and the final one
    assert bench.count_checkpoints(100, 100) == 1


def test_bench_config_keeps_evaluations_per_step() -> None:
    protocol = RunConfig()
    protocol.train.steps, protocol.train.eval_every, protocol.train.checkpoint_every = 300, 75, 75
    protocol.train.eval_from = 150
    longer = bench.bench_config(protocol, 600)
    assert longer.train.steps == 600 and longer.train.eval_from == 0
    # The protocol evaluates at 150, 225, 300: 3 in 300 steps, so 6 in 600.
    assert bench.count_evaluations(600, longer.train.eval_every) == 6
    assert bench.count_checkpoints(600, longer.train.checkpoint_every) == 7
    shorter = bench.bench_config(protocol, 10)
    assert bench.count_evaluations(10, shorter.train.eval_every) == 1  # at least the final one
    assert protocol.train.steps == 300  # the protocol's config is left alone
