# One named rule per figure (fig_<figure>), each reading only its experiment's tidy table, so
# `snakemake fig_he2016_training_curves` builds just the runs that figure needs, then the figure,
# and restyling a figure never retrains.


for _figure, _experiment in FIGURES.items():

    rule:
        name:
            f"fig_{_figure}"
        input:
            table=table_file(_experiment),
        output:
            pdf=figure_file(_figure),
            png=figure_file(_figure).removesuffix(".pdf") + ".png",
        params:
            figure=_figure,
        log:
            f"{RESULTS}/{SCALE}/logs/figures/{_figure}.log",
        localrule: True
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        conda:
            CONDA_ENV
        script:
            "../scripts/make_figure.py"
