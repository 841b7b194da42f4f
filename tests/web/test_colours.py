"""A variant is the same colour in the studio, the PNG figures and the web player (which keeps a
copy of the list, being JavaScript); the curves are black and grey everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from composer_assist.figures.colours import AROUSAL_COLOUR, VALENCE_COLOUR, VARIANT_COLOURS

UI = Path(__file__).resolve().parents[2] / "player" / "js" / "ui.js"


def test_the_web_player_draws_the_variants_and_curves_in_the_shared_colours():
    text = UI.read_text()
    colours = re.search(r"const COLORS = \[([^\]]*)\]", text).group(1)
    # before: its own list, so tense was red in the studio, orange in the figures, green on the web
    assert re.findall(r"'(#[0-9a-f]{6})'", colours) == [c.lower() for c in VARIANT_COLOURS]
    curves = re.search(r"const CURVES = (\[.*\]);", text).group(1)
    assert f"['valence', '{VALENCE_COLOUR}'" in curves and f"['arousal', '{AROUSAL_COLOUR}'" in curves


def test_no_variant_colour_can_be_taken_for_a_curve():
    def grey(hex_colour: str) -> bool:
        r, g, b = (int(hex_colour[k:k + 2], 16) for k in (1, 3, 5))
        return max(r, g, b) - min(r, g, b) < 40

    assert not any(grey(c) for c in VARIANT_COLOURS)
    assert len(set(VARIANT_COLOURS)) == len(VARIANT_COLOURS)
