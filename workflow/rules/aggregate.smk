# aggregate_experiment: every run of an experiment -> one tidy table that figures and the report read.


localrules:
    aggregate_experiment,


rule aggregate_experiment:
    input:
        lambda wc: [run_path(r.experiment, r.variant, r.seed, "meta.json") for r in runs_of(wc.experiment)],
    output:
        table_file("{experiment}"),
    log:
        f"{RESULTS}/{SCALE}/logs/aggregate_experiment/{{experiment}}.log",
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        CONDA_ENV
    script:
        "../scripts/aggregate_experiment.py"
