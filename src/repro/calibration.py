"""The wall between looking and judging: calibration blocks, verdict seeds, and why a claim is not asserted.

An experiment file records, per scale where it asserts a claim, a ``calibration:`` block: the seeds and
training subset that were looked at to choose the budget, the margins and the asserted claims, with the
command and the numbers. The scale's own seeds are its verdict seeds, run once after the claims froze; so
are the robustness draw's (each verdict seed + ``SEED_OFFSET``). A verdict seed that was ever looked at
(``calibration.seeds`` or ``calibration.previously_run`` of any scale) would let a claim be judged on the
runs it was shaped on, so :func:`check_calibration` refuses it when the file is loaded.

A claim not asserted at a scale may say why (``not_asserted.<scale>``): ``calibration`` (calibration found
it did not hold there), ``protocol`` (that scale cannot test it) or ``uncalibrated`` (calibration did not
measure it there, so nothing was decided). Every shipped claim is asserted at full unless the file says
why not, or it is a narrower form (``form_of``) of a spec claim (:func:`unexplained_at_full`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repro.errors import ConfigError

SCALE_ORDER = ("smoke", "quick", "full")
# The robustness draw's seeds are the verdict seeds + SEED_OFFSET (repro.claims.robustness runs them).
# Defined here, below the claims package, because which seeds are verdict seeds is this module's rule.
SEED_OFFSET = 100


def asserting_scales(raw: Mapping[str, Any]) -> list[str]:
    """The scales at which at least one claim of the file is asserted."""
    named = {s for claim in raw.get("claims") or [] for s in claim.get("assert_at") or []}
    return [s for s in SCALE_ORDER if s in named]


def scale_block(raw: Mapping[str, Any], scale: str) -> Mapping[str, Any]:
    """The file's block for ``scale`` (empty when it has none)."""
    return (raw.get("scales") or {}).get(scale) or {}


def scale_seeds(raw: Mapping[str, Any], scale: str) -> list[int]:
    """The seeds that run at ``scale`` (the scale's own list, else the file's, else [0])."""
    return list(scale_block(raw, scale).get("seeds") or raw.get("seeds") or [0])


def calibration_of(raw: Mapping[str, Any], scale: str) -> Mapping[str, Any]:
    """The scale's calibration block (empty when it has none)."""
    return scale_block(raw, scale).get("calibration") or {}


def calibration_seeds(raw: Mapping[str, Any], scale: str) -> list[int]:
    """The seeds looked at to calibrate ``scale`` (its block's ``seeds``)."""
    return [int(s) for s in calibration_of(raw, scale).get("seeds") or []]


def looked_at(raw: Mapping[str, Any]) -> dict[int, str]:
    """Every seed ever looked at, over all scales -> the key that names it (for error messages)."""
    seen: dict[int, str] = {}
    for scale in SCALE_ORDER:
        block = calibration_of(raw, scale)
        for key in ("seeds", "previously_run"):
            for seed in block.get(key) or []:
                seen.setdefault(int(seed), f"scales.{scale}.calibration.{key}")
    return seen


def verdict_seeds(raw: Mapping[str, Any], scale: str, draw_offset: int | None = None) -> dict[int, str]:
    """The verdict seeds of ``scale`` (its seeds, and the robustness draw's) -> the key they come from."""
    if draw_offset is None:
        draw_offset = SEED_OFFSET
    key = f"scales.{scale}.seeds" if scale_block(raw, scale).get("seeds") else "seeds"
    seeds = scale_seeds(raw, scale)
    out = {int(s): key for s in seeds}
    for s in seeds:  # the robustness option reruns the asserted arms on these
        out.setdefault(int(s) + draw_offset, f"{key} + {draw_offset} (the robustness draw)")
    return out


def check_calibration(raw: Mapping[str, Any], path: str) -> None:
    """Refuse verdict seeds that were looked at, and claims that do not say why they are unasserted."""
    seen = looked_at(raw)
    for scale in asserting_scales(raw):
        if not calibration_of(raw, scale):
            raise ConfigError(
                f"claims are asserted at scale '{scale}' in {path} but scales.{scale} has no 'calibration' "
                "block (the seeds, subset, command and numbers that chose what to assert)"
            )
        for seed, key in sorted(verdict_seeds(raw, scale).items()):
            if seed in seen:
                raise ConfigError(
                    f"seed {seed} is a verdict seed ({key}) and was looked at in calibration "
                    f"({seen[seed]}) in {path}: verdict seeds must be seeds never run for this experiment"
                )
    _check_claim_reasons(raw, path)


def _check_claim_reasons(raw: Mapping[str, Any], path: str) -> None:
    """Each claim: no scale both asserted and explained away; form_of names a claim of the file."""
    ids = {str(c.get("id")) for c in raw.get("claims") or []}
    for claim in raw.get("claims") or []:
        asserted = set(claim.get("assert_at") or [])
        reasons = claim.get("not_asserted") or {}
        both = sorted(asserted & set(reasons))
        if both:
            raise ConfigError(
                f"claim '{claim['id']}' in {path} is asserted at '{both[0]}' and also names a reason "
                f"under not_asserted.{both[0]}"
            )
        form_of = claim.get("form_of")
        if form_of is not None and form_of not in ids:
            raise ConfigError(
                f"claim '{claim['id']}' in {path}: form_of names '{form_of}', not a claim of the file"
            )


def unexplained_at_full(raw: Mapping[str, Any]) -> list[str]:
    """Claims neither asserted at full, nor explained (not_asserted.full), nor a narrower form (form_of).

    The shipped experiment files have none (a test holds them to it): a claim of record is asserted on the
    paper's protocol unless the file says why not.
    """
    return [
        str(claim["id"])
        for claim in raw.get("claims") or []
        if "full" not in (claim.get("assert_at") or [])
        and "full" not in (claim.get("not_asserted") or {})
        and not claim.get("form_of")
    ]


def unasserted_reason(claim: Mapping[str, Any], scale: str) -> tuple[str, str]:
    """(because, note) for a claim not asserted at ``scale``; ('', '') when the file gives no reason."""
    reason = (claim.get("not_asserted") or {}).get(scale) or {}
    return str(reason.get("because", "")), str(reason.get("note", ""))


def seed_text(seeds: list[int]) -> str:
    """Seeds as compact runs: [0, 1, 2, 3, 20, 21] -> '0-3, 20-21'."""
    values = sorted(set(int(s) for s in seeds))
    parts: list[str] = []
    start = prev = None
    for s in values:
        if start is None:
            start = prev = s
        elif s == prev + 1:
            prev = s
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = s
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(parts)
