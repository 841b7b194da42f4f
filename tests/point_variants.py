"""The demo cue with its variants as points, for tests of switching mechanisms."""

from __future__ import annotations


def as_points(cue):
    """``cue`` with every variant a point (its arousal not following intensity), as the demo cue
    was before its layers spanned arousal: for tests of switching mechanisms (thrash, lead,
    segmentation, coverage suggestions) on scenes chosen for the switches they made then."""
    for v in cue.variants:
        v.arousal_follows_intensity = False
    return cue
