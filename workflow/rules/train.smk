# train_run: one run = one job. The resolved run config is a param, so editing one variant or adding a
# seed reruns only those runs. The checkpoint/ folder is not an output, so it survives a failed job's
# cleanup and the rerun resumes from it.


rule train_run:
    input:
        data=lambda wc: paths.tensors_path(
            DATA_ROOT, RUNS[(wc.experiment, wc.variant, int(wc.seed))].dataset
        ),
    output:
        config=run_path("{experiment}", "{variant}", "{seed}", "config.json"),
        metrics=run_path("{experiment}", "{variant}", "{seed}", "metrics.csv"),
        meta=run_path("{experiment}", "{variant}", "{seed}", "meta.json"),
    params:
        run=lambda wc: RUNS[(wc.experiment, wc.variant, int(wc.seed))].config.to_dict(),
    log:
        f"{RESULTS}/{SCALE}/logs/train_run/{{experiment}}/{{variant}}/seed{{seed}}.log",
    wildcard_constraints:
        seed=r"\d+",
    threads: config.get("train_threads", 1)
    resources:
        mem_mb=lambda wc: experiment_resources(wc.experiment, "mem_mb", 4000),
        runtime=lambda wc: experiment_resources(wc.experiment, "runtime", 60),
        gpu=0,
    conda:
        CONDA_ENV
    script:
        "../scripts/train_run.py"
