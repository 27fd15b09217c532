"""Snakemake wrapper: evaluate every experiment's claims on its table -> claims.csv and claims.tex."""

import logging
from pathlib import Path

import pandas as pd

from repro.baselines import read_floor
from repro.claims import REPRODUCED, evaluate_claims
from repro.claims.robustness import with_second_draw
from repro.report import claims_tex
from repro.runio import atomic_write_bytes

snakemake = globals()["snakemake"]
logging.basicConfig(
    filename=snakemake.log[0], level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
)
p = snakemake.params


def evaluate_all(experiments: list, tables: list, floors: list[str]) -> pd.DataFrame:
    """Every experiment's claims on its table, each judged against its trained floor where it has one."""
    frames = [
        evaluate_claims(dict(ex), pd.read_csv(table), p.scale, read_floor(Path(floor)) if floor else None)
        for ex, table, floor in zip(experiments, tables, floors, strict=True)
    ]
    return pd.concat(frames, ignore_index=True)


claims = evaluate_all(p.experiments, snakemake.input.tables, p.floors)
if snakemake.input.draw2:  # robustness: the asserted claims again, on the second draw's runs
    second = evaluate_all(p.draw2, snakemake.input.draw2, p.draw2_floors)
    claims = with_second_draw(claims, second)
atomic_write_bytes(Path(snakemake.output.csv), claims.to_csv(index=False).encode())
claims_tex(Path(snakemake.output.csv), Path(snakemake.output.tex), snakemake.params.scale)
failed = []
for row in claims.to_dict("records"):
    bad = row["asserted"] and row["result"] != REPRODUCED  # asserted claims must be reproduced, seeds weighed
    failed += [f"{row['experiment']} {row['id']}: {row['result']}"] if bad else []
    asserted = " (ASSERTED at this scale)" if row["asserted"] else ""
    shown = row["evidence"] if isinstance(row["evidence"], str) else ""  # blank when not evaluable
    logging.log(logging.WARNING if bad else logging.INFO, "%s %s: %s%s [%s] -- %s", row["experiment"],
                row["id"], row["result"], asserted, shown, row["measured"])  # fmt: skip
if failed:  # loud, but the build goes on: the report says what did not reproduce
    logging.warning("%d ASSERTED CLAIM(S) NOT REPRODUCED at scale %s: %s", len(failed),
                    p.scale, "; ".join(failed))  # fmt: skip
