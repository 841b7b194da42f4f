"""The colours every view of a cue shares: the studio, the PNG figures and (a copy checked by a
test) the web player, so a variant is the same colour wherever a composer meets it.

A variant's colour is its place in the cue (``variant_hex``).  Valence, arousal and intensity
curves are black and greys told apart by dash, so that no curve can be taken for a variant.
"""

from __future__ import annotations

# teal, red, orange, steel blue, purple, green, pink, brown: none black or grey
VARIANT_COLOURS = ["#2a9d8f", "#e63946", "#f4a261", "#457b9d", "#9b5de5", "#6a994e", "#d6336c", "#8c564b"]
VALENCE_COLOUR, AROUSAL_COLOUR, INTENSITY_COLOUR = "#111111", "#7a7a7a", "#3d3d3d"


def variant_hex(i: int) -> str:
    """The colour of the cue's ``i``-th variant."""
    return VARIANT_COLOURS[i % len(VARIANT_COLOURS)]
