# Numbers -> LaTeX: per-experiment macros and setup tables, named table rules, the claims table, the data
# note, the index of sections, and latexmk -> results/{scale}/report.pdf. No number is typed by hand.
# The code that writes each part is an input of its rule: a table rule takes its paper's plug-in, the
# macros and setup tables take the plug-in (labels, setup rows) and the generic modules that write them.

PARTS_CODE = module_files("repro.report.macros") + module_files("repro.report.setup")


localrules:
    write_experiment_parts,
    evaluate_claims,
    write_report_index,
    build_report,


rule write_experiment_parts:
    input:
        table=table_file("{experiment}"),
        configs=lambda wc: [
            run_path(r.experiment, r.variant, r.seed, "config.json")
            for r in runs_of(wc.experiment)
        ],
        plugin=lambda wc: EXHIBITS[wc.experiment].files,
        code=PARTS_CODE,
    output:
        macros=paper_file("macros/{experiment}.tex"),
        setup=paper_file("tables/{experiment}_setup.tex"),
    log:
        f"{RESULTS}/{SCALE}/logs/write_experiment_parts/{{experiment}}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        experiment=lambda wc: EXPERIMENTS[wc.experiment].raw,
        paper=lambda wc: EXHIBITS[wc.experiment].paper,
        plugin=lambda wc: EXHIBITS[wc.experiment].plugin,
    script:
        "../scripts/write_experiment_parts.py"


for _table, _experiment in TABLES.items():

    rule:
        name:
            f"table_{_table}"
        input:
            table=table_file(_experiment),
            floor=floor_input(_experiment),  # the trained floor's row, where the experiment has one
            plugin=EXHIBITS[_experiment].files,
        output:
            tex=paper_file(f"tables/{_table}.tex"),
        log:
            f"{RESULTS}/{SCALE}/logs/tables/{_table}.log",
        localrule: True
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            table=_table,
            experiment=EXPERIMENTS[_experiment].raw,
            paper=EXHIBITS[_experiment].paper,
            plugin=EXHIBITS[_experiment].plugin,
        script:
            "../scripts/make_table.py"


rule evaluate_claims:
    input:
        tables=[table_file(name) for name in EXPERIMENTS],
        draw2=[table_file(name) for name in DRAWS],
        floors=[floor_file(name) for name in FLOORS],
        code=module_files("repro.claims") + module_files("repro.report.claims_table"),
    output:
        csv=report(
            paper_file("claims.csv"), caption="../report/claims.rst", category="Claims"
        ),
        tex=paper_file("claims.tex"),
    log:
        f"{RESULTS}/{SCALE}/logs/evaluate_claims.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        experiments=[EXPERIMENTS[name].raw for name in EXPERIMENTS],
        draw2=[EXPERIMENTS[name].raw for name in DRAWS.values()],
        # the trained floor of each experiment and draw, in the order of `tables` and `draw2` ('' for none)
        floors=[floor_file(name) if name in FLOORS else "" for name in EXPERIMENTS],
        draw2_floors=[floor_file(name) if name in FLOORS else "" for name in DRAWS],
        scale=SCALE,
    script:
        "../scripts/evaluate_claims.py"


rule write_report_index:
    input:
        tables=[table_file(name) for name in EXPERIMENTS],
        references=str(PAPER_SRC / "references.yaml"),
    output:
        macros=paper_file("macros.tex"),
        sections=paper_file("sections.tex"),
        substitutions=paper_file("substitutions.tex"),
        bibliography=paper_file("bibliography.tex"),
    log:
        f"{RESULTS}/{SCALE}/logs/write_report_index.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        papers={name: exp.raw["paper"]["key"] for name, exp in EXPERIMENTS.items()},
        citations={
            exp.raw["paper"]["key"]: exp.raw["paper"].get("citation", "")
            for exp in EXPERIMENTS.values()
        },
        # reported-only variants this scale runs only with extra_exhibits: named on the first page
        left_out={
            name: (
                [] if config.get("extra_exhibits") else exp.extra_variant_names(SCALE)
            )
            for name, exp in EXPERIMENTS.items()
        },
        scale=SCALE,
    script:
        "../scripts/write_report_index.py"


rule build_report:
    input:
        generated=[paper_file(f"macros/{name}.tex") for name in EXPERIMENTS]
        + [paper_file(f"tables/{t}.tex") for t in TABLES]
        + rules.evaluate_claims.output
        + rules.write_report_index.output
        + rules.write_appendix.output,
        figures=[figure_file(f) for f in FIGURES],
        sources=[str(PAPER_SRC / "report.tex")]
        + sorted(str(p) for p in (PAPER_SRC / "sections").glob("*.tex")),
        code=module_files("repro.report.build"),
    output:
        pdf=report(
            str(paths.report_path(SCALE, RESULTS)),
            caption="../report/pdf.rst",
            category="Report",
        ),
    log:
        f"{RESULTS}/{SCALE}/logs/build_report.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../scripts/build_report.py"
