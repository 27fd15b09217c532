# fit_linear_floor: the trained floor of one experiment (DESIGN.md section 8). A linear classifier (one
# fixed recipe, repro.baselines) is fit on exactly the training images of each training set the runs use
# and tested on their test images; one row per set in results/{scale}/baselines/{experiment}/linear.csv.
# The sets' resolved data configs are params, so a change of subset refits; the library is an input, so
# a change of recipe refits. Second draws (robustness) get their own floor, on their own subset.


rule fit_linear_floor:
    input:
        data=lambda wc: floor_data_input(wc.experiment),
        code=module_files("repro.baselines"),
    output:
        csv=floor_file("{experiment}"),
    log:
        f"{RESULTS}/{SCALE}/logs/fit_linear_floor/{{experiment}}.log",
    wildcard_constraints:
        experiment=FLOOR_NAMES,  # only the experiments and draws that have a floor
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=4000,  # full-scale CIFAR-10 as float32: about 2 GB at the peak
        runtime=30,
        gpu=0,
    params:
        sets=lambda wc: [s.to_params() for s in FLOORS[wc.experiment]],
    script:
        "../scripts/fit_linear_floor.py"
