# aggregate_experiment: every run of an experiment -> one tidy table that figures and the report read.
# repro.tables is an input: a change to which config columns the table carries re-aggregates it.


localrules:
    aggregate_experiment,


rule aggregate_experiment:
    input:
        runs=lambda wc: [
            run_path(r.experiment, r.variant, r.seed, "meta.json")
            for r in runs_of(wc.experiment)
        ],
        code=module_files("repro.tables"),
    output:
        report(
            table_file("{experiment}"),
            caption="../report/table.rst",
            category="Tidy tables",
            labels={"experiment": "{experiment}"},
        ),
    log:
        f"{RESULTS}/{SCALE}/logs/aggregate_experiment/{{experiment}}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/aggregate_experiment.py"
