"""Colours the views share: one per variant, in the project's order."""

from __future__ import annotations

from PyQt6.QtGui import QColor

VARIANT_COLOURS = ["#2a9d8f", "#e63946", "#f4a261", "#457b9d", "#9b5de5", "#6a994e", "#d62828", "#8d99ae"]
TRACE_COLOUR = "#555555"
# valence, arousal, intensity: black and greys told apart by dash, as the PNG figures draw them
# (figures/adaptive_lanes.py), so no curve can be taken for a variant's colour
VALENCE_COLOUR, AROUSAL_COLOUR, INTENSITY_COLOUR = "#111111", "#7a7a7a", "#3d3d3d"
PLAYHEAD_COLOUR = "#d00000"
OVERRIDE_COLOUR = "#ffb703"
GAIN_COLOUR = "#5c6370"  # layer gain lanes: named on their axis, no variant's colour


def variant_hex(i: int) -> str:
    return VARIANT_COLOURS[i % len(VARIANT_COLOURS)]


def variant_color(i: int) -> QColor:
    return QColor(variant_hex(i))
