# Preflight and cost forecast (repro.preflight, repro.forecast): every distinct run config of the DAG (seeds
# collapsed) is built and stepped twice at its real batch size on the configured device, in one job;
# its FLOPs, memory and times give each run's forecast, and train_run sizes its runtime and mem_mb from
# that forecast (repro.sizing) once it exists. `snakemake preflight --config scale=full` builds both.

PREFLIGHT_CSV = f"{RESULTS}/{SCALE}/preflight.csv"


rule preflight_runs:
    input:
        data=sorted({path for run in RUNS.values() if (path := run_data_input(run))}),
        code=module_files("repro.preflight") + module_files("repro.costs"),
    output:
        csv=PREFLIGHT_CSV,
    log:
        f"{RESULTS}/{SCALE}/logs/preflight_runs.log",
    conda:
        CONDA_ENV
    threads: config.get("train_threads", 1)
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        entries=lambda wc: preflight_entries(),
        steps=FORECAST_SETTINGS["preflight_steps"],
        device=config.get("device", "auto"),
    script:
        "../scripts/preflight_runs.py"


rule forecast_cost:
    input:
        csv=PREFLIGHT_CSV,
        code=module_files("repro.forecast"),
    output:
        csv=FORECAST_CSV,
        md=f"{RESULTS}/{SCALE}/forecast.md",
        tex=paper_file("forecast.tex"),
    log:
        f"{RESULTS}/{SCALE}/logs/forecast_cost.log",
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        reference_gpu=FORECAST_SETTINGS["reference_gpu"],
        gpus=FORECAST_SETTINGS["gpus"],
    script:
        "../scripts/forecast_cost.py"


# The target: `snakemake preflight` (no action of its own).
rule preflight:
    input:
        rules.forecast_cost.output,


# The report's appendix: the forecast table at full scale (so the full report waits for the preflight).
rule write_appendix:
    input:
        forecast=[paper_file("forecast.tex")] if SCALE == "full" else [],
        code=module_files("repro.report.appendix"),
    output:
        tex=paper_file("appendix.tex"),
    log:
        f"{RESULTS}/{SCALE}/logs/write_appendix.log",
    localrule: True
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        gpu_name=FORECAST_SETTINGS["reference_gpu"]["name"],
        gpus=FORECAST_SETTINGS["gpus"],
    script:
        "../scripts/write_appendix.py"
