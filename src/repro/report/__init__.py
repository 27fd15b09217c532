"""The report as a build product: LaTeX macros, booktabs tables, claims and data notes, and the PDF build."""

from repro.report.booktabs import claims_tex, table6_tex
from repro.report.build import build_pdf, index_tex
from repro.report.exhibits import TABLES, experiment_parts, make_table
from repro.report.latex import latex_escape, macro_name, macro_prefix, number_words
from repro.report.macros import write_macros
from repro.report.provenance import data_note, provenances_from_table, substitutions_tex
from repro.report.setup import setup_table_tex

__all__ = [
    "TABLES",
    "build_pdf",
    "claims_tex",
    "data_note",
    "experiment_parts",
    "index_tex",
    "latex_escape",
    "macro_name",
    "make_table",
    "macro_prefix",
    "number_words",
    "provenances_from_table",
    "setup_table_tex",
    "substitutions_tex",
    "table6_tex",
    "write_macros",
]
