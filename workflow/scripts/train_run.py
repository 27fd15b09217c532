"""Snakemake wrapper: train one run with the resolved config passed as a param.

When the workflow started a fork server, a warm process that has already imported torch and the engine
runs the job (repro.forkserver); otherwise, or if it cannot be reached, this process runs it.
"""

import os
import sys

from repro.forkserver.client import call

snakemake = globals()["snakemake"]
# The device and the GPU settings are workflow settings, not part of the run (so not in params.run).
gpu = snakemake.config.get("gpu") or {}
job = {
    "run_config": dict(snakemake.params.run),
    "out_dir": os.path.dirname(snakemake.output.meta),
    "log_file": str(snakemake.log[0]),
    "source": f"rule train_run ({snakemake.output.meta})",
    "threads": int(snakemake.threads),
    "device": snakemake.config.get("device", "auto"),
    "jobs_per_gpu": int(gpu.get("jobs_per_gpu", 1)),
    "allow_tf32": bool(gpu.get("allow_tf32", False)),
}
status = call("repro.jobs:train_job", job)
if status is None:  # no fork server: run it here
    from repro.jobs import train_job

    train_job(**job)
elif status != 0:
    sys.exit(status)
