# train_run: one run = one job. The resolved run config is a param, so editing one variant or adding a
# seed reruns only those runs. The checkpoint/ folder is not an output, so it survives a failed job's
# cleanup and the rerun resumes from it; a finished run's checkpoint is marked complete, so a forced
# rerun (-f, -R) trains afresh. While it trains, the rule log shows progress and metrics.partial.csv in
# the run folder the metrics so far; a failed run's traceback ends the log (logged by repro.train.run).


rule train_run:
    input:
        data=lambda wc: run_data_input(RUNS[(wc.experiment, wc.variant, int(wc.seed))]),
    output:
        config=run_path("{experiment}", "{variant}", "{seed}", "config.json"),
        metrics=run_path("{experiment}", "{variant}", "{seed}", "metrics.csv"),
        meta=run_path("{experiment}", "{variant}", "{seed}", "meta.json"),
    log:
        f"{RESULTS}/{SCALE}/logs/train_run/{{experiment}}/{{variant}}/seed{{seed}}.log",
    wildcard_constraints:
        seed=r"\d+",
    conda:
        CONDA_ENV
    threads: config.get("train_threads", 1)
    resources:
        # From the cost forecast x a safety factor once `snakemake preflight` has run at this scale
        # (repro.sizing); else the experiment file's constants for the scale.
        mem_mb=lambda wc: run_resource(wc, "mem_mb", 4000),
        runtime=lambda wc: run_resource(wc, "runtime", 60),
        gpu=0,
    params:
        run=lambda wc: RUNS[(wc.experiment, wc.variant, int(wc.seed))].config.to_dict(),
    script:
        "../scripts/train_run.py"
