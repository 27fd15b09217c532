"""The one booktabs writer: rules in their places, cells joined, raw lines kept, written atomically."""

from __future__ import annotations

from pathlib import Path

from repro.report.booktabs import ADDLINESPACE, MIDRULE, head, table_row, tabular, write_tabular
from repro.report.floor import floor_row


def test_a_row_joins_its_cells_and_ends_the_line() -> None:
    assert table_row(["a", "1.00", r"\%"]) == r"a & 1.00 & \% \\"
    assert table_row(["", "This build", "Paper"]) == r" & This build & Paper \\"


def test_a_tabular_puts_the_rules_around_head_and_body() -> None:
    text = tabular(
        "@{}l r@{}",
        [r"\multicolumn{2}{c}{Both} \\", [r"Net", "Error"]],
        [["a", "1"], ADDLINESPACE, ["b", "2"]],
        "% Generated; do not edit.",
    )
    assert text == "\n".join([
        "% Generated; do not edit.",
        r"\begin{tabular}{@{}l r@{}}",
        r"\toprule",
        r"\multicolumn{2}{c}{Both} \\",
        r"Net & Error \\",
        r"\midrule",
        r"a & 1 \\",
        r"\addlinespace",
        r"b & 2 \\",
        r"\bottomrule",
        r"\end{tabular}",
    ]) + "\n"  # fmt: skip


def test_no_comment_line_and_an_empty_body() -> None:
    assert tabular("l", [["x"]], []).splitlines() == [
        r"\begin{tabular}{l}", r"\toprule", r"x \\", r"\midrule", r"\bottomrule", r"\end{tabular}"
    ]  # fmt: skip


def test_head_alone_serves_a_longtable() -> None:
    assert head([r"ID & Claim \\"]) == [r"\toprule", r"ID & Claim \\", r"\midrule"]


def test_the_floor_row_is_a_rule_and_an_escaped_label() -> None:
    assert floor_row(["1.00", "--"], label="linear_floor") == [MIDRULE, r"linear\_floor & 1.00 & -- \\"]


def test_write_tabular_writes_the_text(tmp_path: Path) -> None:
    out = write_tabular(tmp_path / "sub" / "t.tex", "l", [["x"]], [["y"]])
    assert out == tmp_path / "sub" / "t.tex"
    assert out.read_text() == tabular("l", [["x"]], [["y"]])
