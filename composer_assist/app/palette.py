"""The studio's colours: the variants' and the curves' shared with every view (figures/colours.py),
and those only the studio draws."""

from __future__ import annotations

from PyQt6.QtGui import QColor

from composer_assist.figures.colours import (AROUSAL_COLOUR, INTENSITY_COLOUR, VALENCE_COLOUR, VARIANT_COLOURS,
                                             variant_hex)

__all__ = ["AROUSAL_COLOUR", "GAIN_COLOUR", "INTENSITY_COLOUR", "OVERRIDE_COLOUR", "PLAYHEAD_COLOUR", "TRACE_COLOUR",
           "VALENCE_COLOUR", "VARIANT_COLOURS", "variant_color", "variant_hex"]

TRACE_COLOUR = "#555555"
PLAYHEAD_COLOUR = "#d00000"
OVERRIDE_COLOUR = "#ffb703"
GAIN_COLOUR = "#5c6370"  # layer gain lanes: named on their axis, no variant's colour


def variant_color(i: int) -> QColor:
    return QColor(variant_hex(i))
