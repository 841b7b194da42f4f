"""Synthetic cues and stems (sines, noise) for tests, benchmarks and trying the engine without plugins."""

from __future__ import annotations

import numpy as np

from composer_assist.core.project import (AdaptiveSettings, Cue, Layer, Marker, PluginRef, TransitionRule,
                                        Variant)
from composer_assist.core.timing import Meter, TempoMap

# Four corners of the valence/arousal plane, as a composer would colour a cue.
CORNERS = [("calm", 0.6, -0.6, ["warm"]), ("bright", 0.7, 0.7, ["major"]),
           ("tense", -0.7, 0.7, ["dark", "percussive"]), ("sad", -0.6, -0.6, ["dark"])]


def synthetic_cue(n_variants: int = 4, n_layers: int = 4, bpm: float = 120.0, bars: int = 8,
                  meter: Meter | None = None, loop: tuple[float, float] | None = None,
                  rule: TransitionRule | None = None, adaptive: AdaptiveSettings | None = None,
                  layer_fade: float = 0.1) -> Cue:
    """A cue whose variants sit on the V/A corners and whose layers enter one by one with intensity."""
    variants = []
    for i in range(n_variants):
        name, v, a, tags = CORNERS[i % 4]
        if i >= 4:
            name = f"{name}{i // 4 + 1}"
        layers = []
        for j in range(n_layers):
            lo = 0.0 if j == 0 else j / n_layers
            layers.append(Layer(name=f"layer{j}", instrument=PluginRef("pad"), intensity=(lo, 1.0),
                                fade=layer_fade if j else 0.0))
        variants.append(Variant(name=name, valence=v, arousal=a, tags=list(tags), layers=layers))
    m = meter or Meter(4, 4)
    cue = Cue(name="synthetic", tempo=TempoMap.constant(bpm), meter=m, length_bars=bars, loop=loop,
              markers=[Marker("A", 0.0), Marker("B", bars * m.beats_per_bar / 2)], variants=variants,
              transitions=[rule] if rule is not None else [],
              adaptive=adaptive or AdaptiveSettings())
    return cue


def synthetic_stems(cue: Cue, sample_rate: int = 48000, kind: str = "sine", amplitude: float = 0.1,
                    seed: int = 0) -> dict[str, dict[str, np.ndarray]]:
    """stems[variant][layer] -> (2, length) float32: a distinct sine per layer, or seeded noise."""
    n = cue.length_samples(sample_rate)
    t = np.arange(n, dtype=np.float64) / sample_rate
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, np.ndarray]] = {}
    for vi, variant in enumerate(cue.variants):
        out[variant.name] = {}
        for li, layer in enumerate(variant.layers):
            if kind == "sine":
                f = 110.0 * (1 + li) * (1.0 + 0.25 * vi)
                x = amplitude * np.sin(2 * np.pi * f * t + 0.3 * vi)
                a = np.stack([x, x]).astype(np.float32)
            else:
                a = rng.standard_normal((2, n), dtype=np.float32)
                a *= amplitude
            out[variant.name][layer.name] = a
    return out
