"""Config strictness and experiment expansion: bad input names the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from repro.config import ConfigError, deep_merge, parse_overrides, run_config_from_dict
from repro.experiments import expand_runs, load_experiment, resolve_run

from .conftest import REPO

EXPERIMENTS = sorted((REPO / "configs" / "experiments").glob("*.yaml"))
WORKFLOW = yaml.safe_load((REPO / "configs" / "config.yaml").read_text())
OFFLINE = yaml.safe_load((REPO / "configs" / "offline.yaml").read_text())


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_every_experiment_file_resolves_at_every_scale(path: Path) -> None:
    experiment = load_experiment(path)
    for scale in ("smoke", "quick", "full"):
        runs = expand_runs(experiment, scale, WORKFLOW)
        assert runs, f"{path.stem} has no runs at {scale}"
        assert len({(r.variant, r.seed) for r in runs}) == len(runs)


def test_unknown_key_names_key_and_file() -> None:
    with pytest.raises(ConfigError, match=r"'train\.stpes'.*my\.yaml"):
        run_config_from_dict({"train": {"stpes": 10}}, source="my.yaml")


def test_wrong_type_names_key_and_file() -> None:
    with pytest.raises(ConfigError, match=r"'optim\.lr'.*my\.yaml.*expected float.*str"):
        run_config_from_dict({"optim": {"lr": "fast"}}, source="my.yaml")
    with pytest.raises(ConfigError, match=r"'data\.flip'.*bool"):
        run_config_from_dict({"data": {"flip": 1}}, source="x")
    with pytest.raises(ConfigError, match=r"'probes\[0\]\.every'"):
        run_config_from_dict({"probes": [{"name": "layer_response", "every": "often"}]}, source="x")


def test_probe_options_are_checked_against_the_probe() -> None:
    with pytest.raises(ConfigError, match=r"'probes\[0\]\.options\.max_imgs'.*max_images"):
        run_config_from_dict({"probes": [{"name": "layer_response", "options": {"max_imgs": 5}}]}, source="x")
    cfg = run_config_from_dict({"probes": [{"name": "layer_response", "options": {"max_images": 5}}]})
    assert cfg.probes[0].options == {"max_images": 5}


def test_unknown_registry_names_list_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"'probes\[0\]\.name'.*layer_response"):
        run_config_from_dict({"probes": [{"name": "nope"}]}, source="x")
    with pytest.raises(ConfigError, match=r"schedule\.name.*multistep"):
        run_config_from_dict({"schedule": {"name": "cosine"}}, source="x")


def test_bad_experiment_file_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad_exp.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "name": "bad_exp",
                "paper": {"key": "x", "citation": "X"},
                "claims": [],
                "base": {"model": {"name": "resnet_cifar", "depht": 20}},
            }
        )  # fmt: skip
    )
    with pytest.raises(ConfigError, match=r"model\.depht.*bad_exp\.yaml"):
        load_experiment(bad)
    bad.write_text(yaml.safe_dump({"name": "bad_exp", "variantz": {}}))
    with pytest.raises(ConfigError, match=r"'variantz'.*bad_exp\.yaml"):
        load_experiment(bad)


def test_resolution_order_and_substitution() -> None:
    experiment = load_experiment(REPO / "configs" / "experiments" / "he2016_depth.yaml")
    workflow = deep_merge(WORKFLOW, OFFLINE)
    cfg = resolve_run(experiment, "plain56", 2, "quick", workflow, parse_overrides(["train.steps=7"]))
    assert (cfg.model["depth"], cfg.model["residual"], cfg.model["width"]) == (56, False, 8)  # variant, scale
    assert cfg.train.steps == 7  # command-line override wins
    # The quick scale trains on 14x14 images: its own dataset override gives the proportionate pad of 1.
    assert (cfg.data.requested, cfg.data.name, cfg.data.pad, cfg.data.downsample) == (
        "cifar10",
        "fashion_mnist",
        1,
        2,
    )
    assert resolve_run(experiment, "plain56", 2, "full", workflow).data.pad == 2  # 28x28: the file's override
    assert cfg.seed == 2 and cfg.scale == "quick"
    plain = resolve_run(experiment, "resnet110", 0, "full", WORKFLOW)
    assert plain.schedule.warmup_lr == 0.01 and plain.data.name == "cifar10" and plain.data.pad == 4


def test_parse_overrides_nests_and_parses_yaml() -> None:
    assert parse_overrides(["a.b=3", "a.c=[1, 2]", "d=true"]) == {"a": {"b": 3, "c": [1, 2]}, "d": True}
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["novalue"])


def test_workflow_config_files_with_a_key_given_twice_are_refused(tmp_path: Path) -> None:
    from repro.workflow import check_config_files

    good = tmp_path / "good.yaml"
    good.write_text("scale: smoke\ndata: {root: data}\n")
    check_config_files([good, tmp_path / "missing.yaml"])  # a file Snakemake did not find is its business
    bad = tmp_path / "site.yaml"
    bad.write_text("scale: smoke\ndata:\n  root: a\n  root: b\n")
    with pytest.raises(ConfigError, match=r"key 'root' is given twice .*site\.yaml \(line 4\)"):
        check_config_files([good, bad])


def test_a_scales_dataset_overrides_apply_after_the_files(tmp_path: Path) -> None:
    """He et al.'s pad of 2 for 28x28 images becomes 1 at a scale that trains on 14x14 (data.downsample 2)."""
    raw = {
        "name": "toy",
        "paper": {"key": "toy", "citation": "Toy 2020"},
        "claims": [],
        "base": {"data": {"name": "cifar10", "pad": 4}, "train": {"steps": 10}},
        "variants": {"a": {}},
        "seeds": [0],
        "dataset_overrides": {"fashion_mnist": {"data": {"pad": 2}}},
        "scales": {
            "smoke": {"reason": "small images", "base": {"data": {"downsample": 2}},
                      "dataset_overrides": {"fashion_mnist": {"data": {"pad": 1}}}},
            "quick": {"reason": "as stored"},
        },
    }  # fmt: skip
    path = tmp_path / "toy.yaml"
    path.write_text(yaml.safe_dump(raw))
    experiment = load_experiment(path)
    substituted = {"data": {"substitutions": {"cifar10": "fashion_mnist"}}}
    small = resolve_run(experiment, "a", 0, "smoke", substituted)
    assert (small.data.pad, small.data.downsample) == (1, 2)
    assert resolve_run(experiment, "a", 0, "quick", substituted).data.pad == 2
    assert resolve_run(experiment, "a", 0, "smoke", {}).data.pad == 4  # CIFAR-10 itself: no override applies
