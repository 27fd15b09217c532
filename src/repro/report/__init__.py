"""The report as a build product: LaTeX macros, tables, claims and data notes, and the PDF build.

Nothing here is specific to a paper: papers' own tables are registered by their plug-ins (repro.papers).
"""

from repro.report.bibliography import bibliography_tex
from repro.report.build import build_pdf, index_tex
from repro.report.claims_table import claims_tex
from repro.report.exhibits import experiment_parts, make_table
from repro.report.latex import latex_escape, macro_name, macro_prefix, number_words
from repro.report.macros import write_macros
from repro.report.provenance import data_note, provenances_from_table, substitutions_tex
from repro.report.setup import seeds_cell, setup_table_tex

__all__ = [
    "bibliography_tex",
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
    "seeds_cell",
    "setup_table_tex",
    "substitutions_tex",
    "write_macros",
]
