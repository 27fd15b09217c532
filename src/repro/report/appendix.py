"""The report's appendix: the full replication's cost forecast where one exists, else nothing."""

from __future__ import annotations

from pathlib import Path

from repro.report.latex import latex_escape
from repro.runio import atomic_write_bytes


def appendix_tex(forecast_tex: str | None, gpu_name: str, gpus: list[int]) -> str:
    """LaTeX for the appendix: a section around the forecast table file ``forecast_tex``, or a comment."""
    if not forecast_tex:
        return "% No cost forecast at this scale: the appendix is built at full scale only.\n"
    counts = ", ".join(str(n) for n in gpus)
    return "\n".join(
        [
            r"\clearpage",
            r"\appendix",
            r"\section{Cost forecast of the full replication}",
            "Every distinct run configuration of the full-scale workflow (seeds collapsed) was built and "
            "stepped at its real batch size by the preflight (\\texttt{snakemake preflight}), which "
            "measured its parameters, FLOPs per training step and per evaluation, peak memory and step time. "
            "A run's total is its steps, evaluations and probe calls times their measured costs. The hours "
            "on the preflight's own device are measured arithmetic; the GPU-hours assume a sustained "
            f"throughput on the reference GPU ({latex_escape(gpu_name)}) and are not measured. "
            f"Wall hours on {counts} "
            "GPUs place the runs, longest first, on the least loaded GPU.",
            "",
            r"\begin{table}[h]",
            r"\centering\small",
            rf"\input{{{Path(forecast_tex).stem}}}",
            r"\caption{Forecast cost of the full replication, per paper.}",
            r"\end{table}",
            "",
        ]
    )


def write_appendix(out: Path, forecast_tex: str | None, gpu_name: str, gpus: list[int]) -> None:
    """Write the appendix file the report inputs."""
    atomic_write_bytes(out, appendix_tex(forecast_tex, gpu_name, gpus).encode())
