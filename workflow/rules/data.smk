# fetch_dataset: the data/ cache, then a mirror folder, then a torchvision download (checksums verified);
# at smoke and quick scale the shipped Fashion-MNIST subset when none of those works.


# Downloads need the network, which cluster compute nodes often lack: fetch on the submitting host.
localrules:
    fetch_dataset,


rule fetch_dataset:
    output:
        tensors=f"{DATA_ROOT}/{{dataset}}/tensors.pt",
        provenance=f"{DATA_ROOT}/{{dataset}}/provenance.json",
    log:
        f"{RESULTS}/logs/fetch_dataset/{{dataset}}.log",
    conda:
        CONDA_ENV
    threads: 1
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        mirror=lambda wc: config["data"].get("mirrors", {}).get(wc.dataset),
        allow_fallback=SCALE != "full",
        allow_download=config["data"].get("download", True),
    script:
        "../scripts/fetch_dataset.py"
