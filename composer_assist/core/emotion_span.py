"""The emotion a variant's music expresses: a point, or an arousal span over its intensity range.

Intensity is arousal mapped to 0..1 (``intensity_of``; the policy drives intensity by it), so a
variant's intensity range is also a range of arousal.  A variant marked
``arousal_follows_intensity`` says its intensity layers carry the arousal: quiet and sparse at the
bottom of its range, full and driven at the top.  Its music then expresses, at intensity ``i``,
the arousal ``arousal_at(i)`` within its span ``[arousal_at(lo), arousal_at(hi)]``, and a viewer
anywhere along that span is matched by intensity alone, without a switch.  Any other variant
expresses its target ``arousal`` at every intensity (a span of one point).

The policy's distance to a variant is to the nearest point of its span; the quality figures put
the music at the arousal of the intensity that played.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .project import Variant


def intensity_of(arousal):
    """Intensity 0..1 for an arousal -1..1 (the policy's law; clipped)."""
    return np.clip((np.asarray(arousal, dtype=np.float64) + 1.0) / 2.0, 0.0, 1.0)


def arousal_at(intensity):
    """The arousal an intensity stands for (the inverse of ``intensity_of``)."""
    return 2.0 * np.asarray(intensity, dtype=np.float64) - 1.0


def arousal_span(variant: Variant) -> tuple[float, float]:
    """(lowest, highest) arousal the variant's music expresses."""
    if getattr(variant, "arousal_follows_intensity", False):
        lo, hi = variant.intensity
        return float(arousal_at(lo)), float(arousal_at(hi))
    return float(variant.arousal), float(variant.arousal)


def spans(variants: Sequence[Variant]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(valence, lowest arousal, highest arousal) per variant, as arrays."""
    lo_hi = np.array([arousal_span(v) for v in variants], dtype=np.float64).reshape(-1, 2)
    return np.array([v.valence for v in variants], dtype=np.float64), lo_hi[:, 0], lo_hi[:, 1]


def nearest_arousal(lo, hi, arousal):
    """The arousal of a span nearest to ``arousal`` (the target itself for a point)."""
    return np.minimum(np.maximum(arousal, lo), hi)


def music_arousal(lo, hi, intensity):
    """The arousal the music expresses at ``intensity`` (the intensity that played)."""
    return nearest_arousal(lo, hi, arousal_at(intensity))


def span_distances(valence, arousal, tv, lo, hi) -> np.ndarray:
    """(points, variants) distance from each (valence, arousal) to each variant's nearest
    expressible emotion (unweighted, as congruence)."""
    v = np.asarray(valence, dtype=np.float64)[:, None]
    a = np.asarray(arousal, dtype=np.float64)[:, None]
    return np.hypot(v - tv[None, :], a - nearest_arousal(lo[None, :], hi[None, :], a))


def music_distances(valence, arousal, intensity, tv, lo, hi) -> np.ndarray:
    """(points, variants) distance from each (valence, arousal) to what each variant's music
    expresses at that point's ``intensity`` (the intensity that played)."""
    v = np.asarray(valence, dtype=np.float64)[:, None]
    a = np.asarray(arousal, dtype=np.float64)[:, None]
    m = music_arousal(lo[None, :], hi[None, :], np.asarray(intensity, dtype=np.float64)[:, None])
    return np.hypot(v - tv[None, :], a - m)
