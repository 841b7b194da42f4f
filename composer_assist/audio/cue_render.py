"""What rendering a cue gives: its stems, tails and stingers (``CueRender``), what went wrong, and
a variant's mixdown."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from composer_assist.core.errors import ProjectError, RenderError
from composer_assist.core.intensity_peaks import intensity_peaks_dbtp
from composer_assist.core.level_match import LevelMatch, match_levels
from composer_assist.core.mixmath import layer_gains
from composer_assist.core.peak_envelope import PeakEnvelopes
from composer_assist.core.project import Cue

from .level_cache import (levels_key, load_envelopes, load_intensity_peaks, load_levels, save_envelopes,
                          save_intensity_peaks, save_levels)

STINGER = "(stinger)"  # the ``variant`` of a stinger's StemStats


@dataclass
class StemStats:
    variant: str
    layer: str
    seconds: float  # audio rendered (body + tail allowance)
    wall: float  # seconds the worker spent on it (load, compile, render, save)
    realtime: float  # seconds / wall: render speed as a multiple of real time
    cached: bool

    @classmethod
    def measured(cls, variant: str, layer: str, seconds: float, wall: float, cached: bool) -> "StemStats":
        """Stats of a stem that took ``wall`` seconds to render ``seconds`` of audio."""
        return cls(variant, layer, seconds, wall, seconds / wall if wall > 0 else math.inf, cached)


@dataclass
class StemError:
    variant: str
    layer: str
    plugins: str
    message: str
    kind: str = "crash"  # PluginError (bad name, value, file), crash, timeout

    def __str__(self) -> str:
        where = f"stinger {self.layer!r}" if self.variant == STINGER else f"variant {self.variant!r} layer {self.layer!r}"
        return f"{where} ({self.plugins}): {self.message}"


@dataclass
class CueRender:
    cue: Cue
    sample_rate: int
    length: int  # samples of the cue body
    stems: dict[str, dict[str, np.ndarray]]  # variant -> layer -> float32 (2, length)
    tails: dict[str, dict[str, np.ndarray]]  # variant -> layer -> float32 (2, tail_len)
    stingers: dict[str, np.ndarray]  # stinger name -> float32 (2, n) one-shot including its tail
    stats: list[StemStats]
    errors: list[StemError] = field(default_factory=list)  # only with keep_going=True
    wall: float = 0.0  # whole render_cue call
    warnings: list[str] = field(default_factory=list)  # e.g. notes the instrument does not sound
    _levels: LevelMatch | None = field(default=None, repr=False, compare=False)
    _rows: dict[str, float] | None = field(default=None, repr=False, compare=False)
    # With a loop ending inside the cue: variant -> layer -> what rings past the loop end when the
    # layer's notes stop there (float32 (2, n)): the post-exit tail laid over the loop start.
    exit_tails: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    # variant -> layer -> the stem cache key of each body stem, when the render used the stem cache
    # (``render_cue(use_cache=True)``; empty otherwise): then the level match is kept with them
    stem_keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def level_match(self) -> LevelMatch:
        """The variants' matched gains (core.level_match), measured once on first use, or read from
        the level cache (``level_cache``) when the stems came from the stem cache."""
        if self._levels is None:
            key = self._levels_key()
            self._levels = load_levels(key) if key else None
            if self._levels is None:
                self._levels = match_levels(self.cue, self.sample_rate, self.stems)
                if key:
                    save_levels(key, self._levels)
        return self._levels

    def intensity_peaks(self) -> dict[str, float]:
        """Each variant's highest true peak over its intensity range (``core.intensity_peaks``,
        dBTP before its matched gain, where higher than its measured mixes), measured once on
        first use, or read from the level cache."""
        if self._rows is None:
            key = self._levels_key()
            self._rows = load_intensity_peaks(key) if key else None
            if self._rows is None:
                levels = self.level_match()
                self._rows = intensity_peaks_dbtp(self.cue, self.stems, levels.windows, levels.true_peaks_dbtp)
                if key:
                    save_intensity_peaks(key, self._rows)
        return self._rows

    def peak_envelopes(self, layout: str) -> PeakEnvelopes | None:
        """The peak envelopes kept with the level match for the stem layout ``layout`` names
        (``playback.stems``), or None (not kept, or the stems skipped the cache)."""
        key = self._levels_key()
        return load_envelopes(key, layout) if key else None

    def keep_peak_envelopes(self, layout: str, env: PeakEnvelopes) -> None:
        """Keep ``env``, measured on the stem layout ``layout`` names, with the level match."""
        key = self._levels_key()
        if key:
            save_envelopes(key, layout, env)

    def _levels_key(self) -> str | None:
        layers = {v: sorted(per) for v, per in self.stems.items()}
        if not layers or any(sorted(self.stem_keys.get(v, {})) != names for v, names in layers.items()):
            return None
        return levels_key(self.cue, self.sample_rate, self.stem_keys)

    @property
    def cached_stems(self) -> list[tuple[str, str]]:
        return [(s.variant, s.layer) for s in self.stats if s.cached]

    def failed_layers(self, variant: str) -> list[str]:
        """Layers of ``variant`` that failed to render (then it has no mixdown)."""
        return [e.layer for e in self.errors if e.variant == variant]



def mixdown(render: CueRender, variant: str, with_tail: bool = False, matched: bool = True) -> np.ndarray:
    """Sum of a variant's stems with each layer's gain and pan (2, n) float32, times the variant's
    matched gain (``render.level_match()``; ``matched=False`` leaves it out).

    Raises ``RenderError`` if a layer of the variant failed: a mix without it would pass for
    the real one.
    """
    try:
        v = render.cue.variant(variant)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    failed = render.failed_layers(variant)
    if failed:
        raise RenderError(f"cue {render.cue.name!r} variant {variant!r}: no mixdown, layer "
                          f"{', '.join(map(repr, failed))} failed to render")
    stems = render.stems.get(variant, {})
    tails = render.tails.get(variant, {})
    extra = max((t.shape[1] for t in tails.values()), default=0) if with_tail else 0
    out = np.zeros((2, render.length + extra), dtype=np.float64)
    match = render.level_match().gain(variant) if matched else 1.0
    for layer in v.layers:
        if layer.name not in stems:
            continue
        gl, gr = layer_gains(layer.gain_db, layer.pan)
        gl, gr = gl * match, gr * match
        audio = stems[layer.name]
        if with_tail and layer.name in tails and tails[layer.name].shape[1]:
            audio = np.concatenate([audio, tails[layer.name]], axis=1)
        out[0, :audio.shape[1]] += gl * audio[0]
        out[1, :audio.shape[1]] += gr * audio[1]
    return out.astype(np.float32)
