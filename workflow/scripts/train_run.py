"""Snakemake wrapper: train one run with the resolved config passed as a param."""

import logging
from pathlib import Path

from repro.config import run_config_from_dict
from repro.gpus import pin_to_gpu
from repro.train import run

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
cfg = run_config_from_dict(dict(snakemake.params.run), source=f"rule train_run ({snakemake.output.meta})")
# The device and the GPU settings are workflow settings, not part of the run (so not in params.run).
device, gpu = snakemake.config.get("device", "auto"), snakemake.config.get("gpu") or {}
gpu_claim = pin_to_gpu(device, int(gpu.get("jobs_per_gpu", 1)))  # held until the job ends
run(
    cfg,
    Path(snakemake.output.meta).parent,
    threads=snakemake.threads,
    device=device,
    allow_tf32=bool(gpu.get("allow_tf32", False)),
)
