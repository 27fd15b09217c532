"""LaTeX text helpers: escaping, letters-only macro names, number formatting, atomic writes."""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
# Symbols that measured texts and statements use; pdflatex's utf8 input does not know them all.
_UNICODE = {
    "±": r"$\pm$",
    "×": r"$\times$",
    "÷": r"$\div$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "≈": r"$\approx$",
    "≠": r"$\neq$",
    "∼": r"$\sim$",
    "→": r"$\rightarrow$",
    "−": r"$-$",
    "…": r"\ldots{}",
    "°": r"\textdegree{}",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "γ": r"$\gamma$",
    "δ": r"$\delta$",
    "η": r"$\eta$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
    "σ": r"$\sigma$",
}

_ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"),
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))


def latex_escape(text: object) -> str:
    """Escape LaTeX's special characters (and common Unicode symbols) so ``text`` typesets verbatim."""
    out = []
    for char in str(text):
        if char in _SPECIAL:
            out.append(_SPECIAL[char])
        elif char in _UNICODE:
            out.append(_UNICODE[char])
        elif ord(char) > 0x24F:
            # Beyond Latin Extended the T1 fonts have no glyph; a visible marker beats a failed build.
            log.warning("latex_escape: replacing unsupported character %r with '?'", char)
            out.append("?")
        else:
            out.append(char)
    return "".join(out)


def number_words(n: int) -> str:
    """Spell a non-negative integer as capitalised words: 110 -> 'OneHundredTen'."""
    if n < 0:
        raise ValueError(f"number_words needs n >= 0, got {n}")
    if n < 20:
        return _ONES[n].capitalize()
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens].capitalize() + (_ONES[ones].capitalize() if ones else "")
    for size, word in _SCALES:
        if n >= size:
            head, rest = divmod(n, size)
            return number_words(head) + word.capitalize() + (number_words(rest) if rest else "")
    raise AssertionError("unreachable")


def macro_name(text: object) -> str:
    """Letters-only CamelCase for a LaTeX macro: 'net20' -> 'NetTwenty', 'test_error' -> 'TestError'."""
    parts = re.findall(r"[A-Za-z]+|\d+", str(text))
    if not parts:
        raise ValueError(f"cannot make a macro name from {text!r}")
    return "".join(number_words(int(p)) if p.isdigit() else p[0].upper() + p[1:] for p in parts)


def macro_prefix(experiment: str) -> str:
    """Macro prefix of an experiment: its leading letters, lower case ('smith2020_width' -> 'smith')."""
    match = re.match(r"[A-Za-z]+", experiment)
    if not match:
        raise ValueError(f"experiment name {experiment!r} must start with a letter")
    return match.group(0).lower()


def newcommand(name: str, body: str) -> str:
    """One ``\\newcommand`` line; the name must be letters only."""
    if not re.fullmatch(r"[A-Za-z]+", name):
        raise ValueError(f"LaTeX macro names must be letters only: {name!r}")
    return f"\\newcommand{{\\{name}}}{{{body}}}"


def _finite(value: object) -> float | None:
    """``value`` as a finite float, or None for NaN, inf, None and non-numbers."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def fmt_number(value: object, decimals: int = 2, missing: str = "--") -> str:
    """A float with fixed decimals; NaN, None or inf -> ``missing``."""
    number = _finite(value)
    return missing if number is None else f"{number:.{decimals}f}"


def fmt_sig(value: object, digits: int = 3, missing: str = "--") -> str:
    """A float with ``digits`` significant digits, never in exponent form for report-sized numbers."""
    number = _finite(value)
    if number is None:
        return missing
    if number == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(number))))
    return f"{number:.{decimals}f}"


def fmt_int(value: object, missing: str = "--") -> str:
    """An integer with LaTeX thousands separators: 64000 -> '64{,}000'."""
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return missing
    return f"{number:,}".replace(",", "{,}")


def fmt_params(value: object, missing: str = "") -> str:
    """A parameter count as 0.27M or 68.3k (blank when unknown)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return missing
    if not math.isfinite(number):
        return missing
    if number >= 1e5:
        return f"{number / 1e6:.2f}M"
    if number >= 1e3:
        return f"{number / 1e3:.1f}k"
    return f"{int(number)}"


def default_mode() -> int:
    """The permission bits a plain open() would give a new file (mkstemp's are owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, default_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
