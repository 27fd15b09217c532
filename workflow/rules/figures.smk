# One named rule per figure (fig_<figure>), each reading only its experiment's tidy table, so
# `snakemake fig_he2016_training_curves` builds just the runs that figure needs, then the figure,
# and restyling a figure never retrains. A figure's code is an input too: editing its paper's plug-in
# (repro.papers.<paper>) redraws that paper's figures, and editing the shared style redraws them all.
# An experiment with a trained floor (repro.baselines) also gives its floor file: drawn as a reference.

FIGURE_CODE = module_files("repro.figures.style") + module_files("repro.figures.common")


for _figure, _experiment in FIGURES.items():

    rule:
        name:
            f"fig_{_figure}"
        input:
            table=table_file(_experiment),
            floor=floor_input(_experiment),
            plugin=EXHIBITS[_experiment].files,
            style=FIGURE_CODE,
        output:
            pdf=figure_file(_figure),
            png=report(
                figure_file(_figure).removesuffix(".pdf") + ".png",
                caption="../report/figure.rst",
                category=EXHIBITS[_experiment].paper,
                labels={"figure": _figure, "experiment": _experiment},
            ),
        log:
            f"{RESULTS}/{SCALE}/logs/figures/{_figure}.log",
        localrule: True
        conda:
            CONDA_ENV
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            figure=_figure,
            paper=EXHIBITS[_experiment].paper,
            plugin=EXHIBITS[_experiment].plugin,
        script:
            "../scripts/make_figure.py"
