"""Pre-rendered stems laid out for the block mixer.

Each variant's layers are stacked into one C-contiguous float32 array of shape
(2 * length, n_layers): row 2p + c is frame p, channel c (interleaved, the layout of an audio
device buffer) across all layers, with the layer's static fader and pan
(core.mixmath.layer_gains, the offline mixdown law) already applied.  One block of a variant at
one set of layer gains is ``np.dot(stack[2p:2p + 2n], gains, out=block)``: the rows of a block
are contiguous, so BLAS reads them in place and nothing is copied or allocated per block.

Loop seams: when playback wraps from the loop end to the loop start, what rings on past the loop
end is added onto the first ``seam`` samples of the loop start, so notes ring over the wrap
instead of being cut (the post-exit tail over the entry, as in Wwise's pre-entry/post-exit): the
release tail after the cue end when the loop ends with the cue; for a loop ending inside the cue,
the layer's *exit tail* (rendered with its notes released at the loop end, ``CueRender.exit_tails``).
Without one (stems given bare, or a loop region changed while playing to an end nothing was
rendered for) the body after the loop end faded out over 10 ms stands in: it holds the held notes
but also the next notes' first 10 ms.

Level matching: each variant's columns also carry its matched gain (core.level_match: every
variant at the same loudness at its nominal intensity, plus its ``level_offset_lu``, under the
true-peak ceiling), the same gain the offline mixdown applies, so the mixer needs no extra
multiply and offline adapt and real-time play read the same samples.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from composer_assist.core.errors import RenderError
from composer_assist.core.level_match import LevelMatch, match_levels
from composer_assist.core.level_windows import intensity_makeup
from composer_assist.core.mixmath import gain_table, layer_gains
from composer_assist.core.peak_envelope import (NO_ENVELOPES, PeakEnvelopes, envelope_block, normalised, one_shot,
                                                peak_envelope)
from composer_assist.core.project import Cue, Layer

from .clock import CueClock

MAX_SEAM_S = 4.0
DECLICK_S = 0.01


@dataclass
class StemSet:
    """Everything the mixer reads: per-variant layer stacks, gain tables, stingers, loop seams."""

    cue: Cue
    sample_rate: int
    length: int
    clock: CueClock
    variant_names: list[str]
    layer_names: list[list[str]]
    stacks: list[np.ndarray]  # per variant (2 * length, n_layers) float32 (interleaved rows)
    seams: list[np.ndarray]  # per variant (2 * seam, n_layers) float32: loop start + wrap tail
    seam: int
    luts: list[np.ndarray]  # per variant (LUT_STEPS + 1, n_layers) float32 layer gain by intensity
    stinger_names: list[str] = field(default_factory=list)
    stingers: list[np.ndarray] = field(default_factory=list)  # flat interleaved (2 * n,) float32
    levels: LevelMatch = field(default_factory=LevelMatch)  # per-variant matched gains, folded into stacks
    # per variant (MAX_SEAM_S samples, 2, n_layers) float32 or None: the release tail after the cue
    # end at the layers' gains, kept for a loop region changed to end with the cue (loop_seams)
    end_tails: list[np.ndarray | None] = field(default_factory=list)
    # per variant (windows, layers, layers) float64 or None: local loudness tables
    # (core.level_windows, from ``levels``) the mixer's transition trim reads (playback.level_trim)
    level_windows: list[np.ndarray | None] = field(default_factory=list)
    window_hop: int = 0
    # per variant (blocks,) float64: the bound of every |sample| it can play in each block of
    # ``peak_block`` cue positions at any intensity, over the loudest block of any variant
    # (core.peak_envelope.normalised), which the transition's peak guard keeps a mix under; empty:
    # no guard.  ``peak_top``: that loudest block (full scale 1), None when not measured here
    peak_env: list[np.ndarray] = field(default_factory=list)
    peak_block: int = 0
    peak_top: float | None = None
    # per stinger (blocks,) float64: its largest |sample| in each ``peak_block`` from its start, over
    # the same loudest block (core.peak_envelope.one_shot); empty: stingers are not in the guard
    stinger_env: list[np.ndarray] = field(default_factory=list)

    @property
    def max_layers(self) -> int:
        return max(s.shape[1] for s in self.stacks)

    def variant_index(self, name: str) -> int:
        return self.variant_names.index(name)

    @classmethod
    def from_arrays(cls, cue: Cue, sample_rate: int,
                    stems: Mapping[str, Mapping[str, np.ndarray]],
                    tails: Mapping[str, Mapping[str, np.ndarray]] | None = None,
                    stingers: Mapping[str, np.ndarray] | None = None,
                    levels: LevelMatch | None = None,
                    exit_tails: Mapping[str, Mapping[str, np.ndarray]] | None = None,
                    peak_env: PeakEnvelopes | None = None) -> "StemSet":
        """Build from ``stems[variant][layer]`` arrays of shape (2, length) (render_cue's layout).

        ``levels`` (default: ``match_levels`` of these stems) gives each variant's matched gain;
        ``exit_tails`` what rings past a loop end inside the cue (see the module docstring);
        ``peak_env`` the peak envelopes as measured before (a package's manifest, the level cache;
        ``NO_ENVELOPES``: none), else measured.
        """
        tails, exit_tails = tails or {}, exit_tails or {}
        lengths = {np.asarray(a).shape[-1] for per in stems.values() for a in per.values()}
        if not lengths:
            raise RenderError(f"cue {cue.name!r}: no stems to mix")
        length = max(lengths)
        clock = CueClock(cue, sample_rate, length)
        seam = min(int(MAX_SEAM_S * sample_rate), clock.loop_len)
        if levels is None:
            levels = match_levels(cue, sample_rate, stems)
        names, layer_names, stacks, seams, luts, ends = [], [], [], [], [], []
        full = int(MAX_SEAM_S * sample_rate)
        for variant in cue.variants:
            if variant.name not in stems:
                raise RenderError(f"cue {cue.name!r}: no stems for variant {variant.name!r}")
            per = stems[variant.name]
            layers = [l for l in variant.layers if l.name in per]
            if not layers:
                raise RenderError(f"cue {cue.name!r}: variant {variant.name!r} has no rendered layers")
            # (frame, channel, layer) in C order is the (2 * length, n_layers) row layout.
            stack = np.zeros((length, 2, len(layers)), dtype=np.float32)
            wrap = np.zeros((seam, 2, len(layers)), dtype=np.float32)
            end = np.zeros((full, 2, len(layers)), dtype=np.float32)
            for i, layer in enumerate(layers):
                tail = tails.get(variant.name, {}).get(layer.name)
                _layer_rows(cue, variant.name, layer, per[layer.name], tail, clock, stack[:, :, i], wrap[:, :, i],
                            levels.gain(variant.name), exit_tails.get(variant.name, {}).get(layer.name))
                _ring(end[:, :, i], tail, layer, levels.gain(variant.name), clock.sr)
            wrap += stack[clock.loop_start:clock.loop_start + seam]
            ends.append(end)
            names.append(variant.name)
            layer_names.append([l.name for l in layers])
            stacks.append(stack.reshape(2 * length, len(layers)))
            seams.append(wrap.reshape(2 * seam, len(layers)))
            luts.append(gain_table(variant, layers).astype(np.float32))
        st_names, st_arrays = [], []
        for s in cue.stingers:
            if stingers and s.name in stingers:
                a = np.asarray(stingers[s.name], dtype=np.float32)
                gl, gr = layer_gains(s.gain_db, s.pan)
                st_names.append(s.name)
                st_arrays.append(np.ascontiguousarray(np.stack([a[0] * gl, a[1] * gr], axis=1).reshape(-1)))
        windows = [_table(levels.windows.get(v), len(ls)) for v, ls in zip(names, layer_names)]
        # Level matching over the intensity range (core.level_windows.intensity_makeup): each row
        # of a variant's table carries the gain that puts it at the common level at that intensity.
        makeups = intensity_makeup(luts, windows, [v.level_offset_lu for v in cue.variants])
        if peak_env is None:
            block = envelope_block(sample_rate)
            # the mixes run outside the GIL: two variants at a time
            with ThreadPoolExecutor(2) as pool:
                top, envs, st_envs = normalised(list(pool.map(
                    lambda i: peak_envelope(stacks[i], seams[i], clock.loop_start,
                                            gain_table(cue.variant(names[i]), _layers_of(cue, names[i], layer_names[i])),
                                            makeups[i], block), range(len(names)))),
                    [one_shot(a, block) for a in st_arrays])
            peak_env = PeakEnvelopes(block, envs, top, st_envs) if top > 0 else NO_ENVELOPES
        for i, m in enumerate(makeups):
            if m is not None:
                luts[i] = (luts[i] * m[:, None]).astype(np.float32)
        return cls(cue, int(sample_rate), length, clock, names, layer_names, stacks, seams, seam, luts,
                   st_names, st_arrays, levels, ends, windows, int(levels.window_hop),
                   list(peak_env.envelopes), int(peak_env.block), peak_env.top, list(peak_env.stingers))

    def loop_seams(self, clock: CueClock) -> list[np.ndarray]:
        """Seams for another loop region of the same stems (built off the audio thread).

        What rings past the new loop end: the release tail after the cue end when the region ends
        with the cue; the current wrap tail when it ends where the current loop does; else the
        body after it faded within DECLICK_S (nothing was rendered for that end).
        """
        seam = min(int(MAX_SEAM_S * self.sample_rate), clock.loop_len)
        old, old_start = self.seam, self.clock.loop_start
        out = []
        for v, (stack, seams) in enumerate(zip(self.stacks, self.seams)):
            body = stack.reshape(self.length, 2, -1)
            wrap = np.zeros((seam, 2, body.shape[2]), dtype=np.float32)
            if clock.loop_end >= self.length and v < len(self.end_tails) and self.end_tails[v] is not None:
                wrap[:] = self.end_tails[v][:seam]
                if seam < self.end_tails[v].shape[0]:  # cut short: fade, do not stop dead
                    d = min(seam, max(1, int(DECLICK_S * self.sample_rate)))
                    wrap[seam - d:] *= np.linspace(1.0, 0.0, d, dtype=np.float32)[:, None, None]
            elif clock.loop_end == self.clock.loop_end:
                k = min(seam, old)
                wrap[:k] = (seams.reshape(old, 2, -1) - body[old_start:old_start + old])[:k]
            elif clock.loop_end < self.length:
                k = min(seam, self.length - clock.loop_end, max(1, int(DECLICK_S * self.sample_rate)))
                ramp = np.linspace(1.0, 0.0, k, endpoint=False, dtype=np.float32)[:, None, None]
                wrap[:k] = body[clock.loop_end:clock.loop_end + k] * ramp
            wrap += body[clock.loop_start:clock.loop_start + seam]
            out.append(wrap.reshape(2 * seam, -1))
        return out

    def layer_rows(self, variant: int, layer: int, audio: np.ndarray,
                   tail: np.ndarray | None = None, spec: Layer | None = None) -> tuple[np.ndarray, np.ndarray]:
        """A re-rendered layer laid out as its column of ``stacks[variant]`` and of ``seams[variant]``.

        Built off the audio thread; the player copies the two columns in (``Mixer.swap_layer``).
        ``spec``: the edited layer (its gain and pan), else the one the stems were made from.
        """
        cue_variant = self.cue.variant(self.variant_names[variant])
        spec = spec or cue_variant.layer(self.layer_names[variant][layer])
        col = np.zeros((self.length, 2), dtype=np.float32)
        wrap = np.zeros((self.seam, 2), dtype=np.float32)
        _layer_rows(self.cue, cue_variant.name, spec, audio, tail, self.clock, col, wrap,
                    self.levels.gain(cue_variant.name))
        wrap += col[self.clock.loop_start:self.clock.loop_start + self.seam]
        return col.reshape(-1), wrap.reshape(-1)

    @classmethod
    def from_render(cls, render: Any) -> "StemSet":
        """Build from an ``audio.render.CueRender`` (stems, tails, stingers), its peak envelopes
        kept with its level match (measured on this module's layout: its source is in the key)."""
        levels = render.level_match() if hasattr(render, "level_match") else None
        kept = getattr(render, "peak_envelopes", None)
        env = kept(_layout_hash()) if kept is not None else None
        if env is not None and not _fits(env, render):
            env = None  # not what these stems make: measured again (and replaced)
        out = cls.from_arrays(render.cue, render.sample_rate, render.stems,
                              getattr(render, "tails", None), getattr(render, "stingers", None), levels,
                              getattr(render, "exit_tails", None), env)
        if kept is not None and env is None and out.peak_block:
            render.keep_peak_envelopes(_layout_hash(), PeakEnvelopes(out.peak_block, out.peak_env, out.peak_top,
                                                                     out.stinger_env))
        return out


def _layer_rows(cue: Cue, variant: str, layer: Layer, audio: np.ndarray, tail: np.ndarray | None,
                clock: CueClock, col: np.ndarray, wrap: np.ndarray, match: float = 1.0,
                exit_tail: np.ndarray | None = None) -> None:
    """Write one layer (fader, pan and the variant's matched gain ``match`` applied) into ``col``
    (length, 2) and what rings past the loop end into ``wrap`` (seam, 2)."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim != 2 or a.shape[0] != 2 or a.shape[1] > col.shape[0]:
        raise RenderError(f"cue {cue.name!r}: stem {variant}/{layer.name} has shape {a.shape}, "
                          f"expected (2, at most {col.shape[0]} samples)")
    gl, gr = layer_gains(layer.gain_db, layer.pan)
    gl, gr = gl * match, gr * match
    col[:a.shape[1], 0] = a[0] * gl
    col[:a.shape[1], 1] = a[1] * gr
    length = col.shape[0]
    # What rings past the loop end: the release tail when the loop ends with the cue, the exit
    # tail when one was rendered for a loop end inside it; else the body after the loop end,
    # faded out within DECLICK_S (it holds new notes too, which must not sound over the loop start).
    if clock.loop_end >= length or exit_tail is not None:
        _ring(wrap, tail if clock.loop_end >= length else exit_tail, layer, match, clock.sr)
    else:
        k = min(wrap.shape[0], length - clock.loop_end, max(1, int(DECLICK_S * clock.sr)))
        ramp = np.linspace(1.0, 0.0, k, endpoint=False, dtype=np.float32)[:, None]
        wrap[:k] = col[clock.loop_end:clock.loop_end + k] * ramp


def _ring(wrap: np.ndarray, tail: np.ndarray | None, layer: Layer, match: float, sr: int) -> None:
    """A release tail at the layer's gains into ``wrap`` (n, 2); one longer than ``wrap`` fades
    out over its last DECLICK_S instead of stopping dead."""
    if tail is None:
        return
    gl, gr = layer_gains(layer.gain_db, layer.pan)
    t = np.asarray(tail, dtype=np.float32)
    k = min(wrap.shape[0], t.shape[-1])
    wrap[:k, 0] = t[0, :k] * gl * match
    wrap[:k, 1] = t[1, :k] * gr * match
    if t.shape[-1] > wrap.shape[0]:
        d = min(max(1, int(DECLICK_S * sr)), k)
        wrap[k - d:k] *= np.linspace(1.0, 0.0, d, dtype=np.float32)[:, None]


def _fits(env: PeakEnvelopes, render: Any) -> bool:
    """Whether ``env`` has one envelope per variant, one value per block of the stems' length, and
    one per stinger, one value per block of its length."""
    stems, stingers = render.stems, getattr(render, "stingers", None) or {}
    length = max((np.asarray(a).shape[-1] for per in stems.values() for a in per.values()), default=0)
    if env.block <= 0 or len(env.envelopes) != len(render.cue.variants):
        return False
    shots = [np.asarray(stingers[s.name]).shape[-1] for s in render.cue.stingers if s.name in stingers]
    return (all(e.shape == (-(-length // env.block),) for e in env.envelopes) and len(env.stingers) == len(shots)
            and all(e.shape == (max(1, -(-n // env.block)),) for e, n in zip(env.stingers, shots)))


@lru_cache(maxsize=1)
def _layout_hash() -> str:
    """This module's source: how the stems are laid out, which the peak envelopes are measured on."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _layers_of(cue: Cue, variant: str, names: list[str]) -> list[Layer]:
    v = cue.variant(variant)
    return [v.layer(n) for n in names]


def _table(table: np.ndarray | None, layers: int) -> np.ndarray | None:
    """A local loudness table for a variant of ``layers`` stacked layers, or None if it does not fit."""
    if table is None:
        return None
    t = np.asarray(table, dtype=np.float64)
    return t if t.ndim == 3 and t.shape[0] > 0 and t.shape[1:] == (layers, layers) else None
