"""Block mixer over pre-rendered stems: variant decks, crossfades, layer gains, stingers, loops.

The same object drives offline renders and (later) a real-time audio callback: ``process(out)``
fills one (frames, 2) float32 block in place, allocating no sample buffers and touching only a
few preallocated arrays and Python scalars.  Commands are scheduled events (sample-stamped
tuples in a sorted list; see :meth:`Mixer.schedule`) so a control thread can queue a switch for a
future musical boundary and the callback applies it on exactly that sample.

Per block and deck the work is one ``np.dot(stems_block, layer_gains, out=...)`` on contiguous
rows (see stems.py for the layout) when gains are steady; while a gain moves (crossfade, intensity slew) the gains ramp linearly from their value at the block
start to their value at the block end: ``dot(g0) + ramp * dot(dg)``, so there is no zipper noise
and the ramp is exact at every block boundary.  Blocks are split at event samples, fade ends and
loop wraps, so every boundary is sample-accurate.
"""

from __future__ import annotations

from bisect import insort

import numpy as np

from composer_assist.core.mixmath import LUT_STEPS

from .curves import CURVE_IDS, fade_in, fade_out
from .level_trim import NO_TRIM, Trim, transition_gains
from .stems import StemSet

SWITCH, INTENSITY = 0, 1
# Decks: the current one plus fading-out ones.  Switches faster than the fades can overlap more
# than this; then the quietest fading-out deck is dropped (process() never raises).
POOL_DECKS = 6
HISTORY_FIELDS = ("intensity", "variant_a", "env_a", "variant_b", "env_b")


class _Deck:
    """One playing variant: position, stem source and its current per-layer gains."""

    __slots__ = ("v", "pos", "passes", "src", "src_off", "lim", "wrap_at", "g", "g1", "dg", "k",
                 "lut", "fading", "fade_start", "fade_len", "curve", "env", "env0", "buf", "trim", "tg")

    def __init__(self, max_layers: int):
        # Gains live in rows of one buffer sized for the widest variant; g, g1 and dg are views of
        # the first n_layers of each row, remade whenever the deck takes a variant.
        self.buf = np.zeros((3, max_layers), dtype=np.float32)
        self.g, self.g1, self.dg = self.buf[0], self.buf[1], self.buf[2]
        self.env = 0.0
        self.trim, self.tg = NO_TRIM, 1.0  # the transition trim (playback.level_trim), its gain now

    def take(self, n_layers: int) -> None:
        self.g, self.g1, self.dg = self.buf[0, :n_layers], self.buf[1, :n_layers], self.buf[2, :n_layers]


class Mixer:
    """Mixes a StemSet block by block from a list of scheduled events."""

    def __init__(self, stems: StemSet, block: int = 512, intensity_slew: float | None = None,
                 history_blocks: int = 0):
        self.stems = stems
        self.sr = stems.sample_rate
        self.block = int(block)
        self.clock = stems.clock
        slew = stems.cue.adaptive.intensity_slew if intensity_slew is None else intensity_slew
        self.slew_per_sample = float(slew) / self.sr
        n2 = 2 * self.block
        self._tmp = np.zeros(n2, dtype=np.float32)
        self._ramp = (np.repeat(np.arange(self.block, dtype=np.float64), 2) / self.block).astype(np.float32)
        self._pool = [_Deck(stems.max_layers) for _ in range(POOL_DECKS)]
        self._decks: list[_Deck] = []
        self._voices: list[list] = []  # [flat stinger array, position in frames, its gain (a Trim)]
        self.events: list[tuple] = []
        self._ev_i = 0
        self._next_ev = 1 << 62
        self.t = 0
        self.i_cur = 0.0
        self.i_target = 0.0
        self.history = np.zeros((history_blocks, len(HISTORY_FIELDS)), dtype=np.float32) if history_blocks else None
        self._hist_i = 0
        # Per-variant peak of what each variant contributed since the player last read (and reset)
        # it, measured in the process() calls made while ``metering`` is set (a meter needs ~25 Hz).
        self.peaks = np.zeros(len(stems.variant_names), dtype=np.float64)
        self.metering = False

    # ---- commands ------------------------------------------------------------------------
    def start(self, variant: int, intensity: float, pos: int = 0, passes: int = 0) -> None:
        """Begin playing ``variant`` at full gain at the current sample."""
        self.i_cur = self.i_target = float(intensity)
        self._add_deck(variant, pos, passes, fade_len=0, curve=0)

    def schedule(self, event: tuple) -> None:
        """Queue ``(sample, kind, ...)``; events at or before the current sample apply next block.

        kind SWITCH: (sample, SWITCH, variant, enter_pos (-1 = same position), enter_passes,
        fade_len, curve_id, stinger_index (-1 = none)).  kind INTENSITY: (sample, INTENSITY, value).
        """
        insort(self.events, event, lo=self._ev_i)
        self._next_ev = self.events[self._ev_i][0]

    def unschedule(self, event: tuple) -> bool:
        """Withdraw a queued event not yet applied (a live switch retargeted or cancelled)."""
        for i in range(self._ev_i, len(self.events)):
            if self.events[i] == event:
                del self.events[i]
                self._next_ev = self.events[self._ev_i][0] if self._ev_i < len(self.events) else 1 << 62
                return True
        return False

    def reset(self, t: int, variant: int, intensity: float, pos: int, passes: int = 0, declick: int = 0) -> None:
        """Start over at sample ``t`` of the timeline, playing ``variant`` from cue position ``pos``
        (a seek): stingers and queued events are dropped; the decks too, at once, or with
        ``declick`` > 0 faded out over that many samples while the new place fades in."""
        old = self._decks if declick > 0 else []
        self._decks, self._voices = [], []
        self.events, self._ev_i, self._next_ev = [], 0, 1 << 62
        self.t = int(t)
        self.i_cur = self.i_target = float(intensity)
        for d in old:
            d.fading, d.fade_start, d.fade_len, d.curve, d.env0 = -1, self.t, declick, 0, d.env
            d.k = -1
        self._decks = old
        self._add_deck(variant, pos, passes, declick, 0)

    def refresh_gains(self) -> None:
        """The gain tables changed (mute, solo): every deck ramps to its new gains over the next block."""
        for d in self._decks:
            d.k = -1

    def swap_layer(self, variant: int, layer: int, column: np.ndarray, seam_column: np.ndarray,
                   clock=None) -> None:
        """Replace one layer's audio (from ``StemSet.layer_rows``, laid out for ``clock``'s loop
        region) between two blocks; all of it or, raising ValueError, none of it."""
        stack, seam = self.stems.stacks[variant], self.stems.seams[variant]
        if clock is not None and clock is not self.clock:
            raise ValueError("the loop region changed while the layer was laid out: lay it out again")
        if not 0 <= layer < stack.shape[1] or column.shape != stack[:, layer].shape \
                or seam_column.shape != seam[:, layer].shape:
            raise ValueError(f"variant {variant} layer {layer}: the new audio does not fit its place")
        stack[:, layer] = column
        seam[:, layer] = seam_column

    def set_clock(self, clock) -> None:
        """A new loop region (``stems.clock`` and ``stems.seams`` already swapped): decks re-locate.
        A deck past the new loop's end plays on to the cue's end, then wraps to the loop's start,
        as a position entered past the loop end does (``CueClock``): no jump, no cut."""
        self.clock = clock
        for d in self._decks:
            self._locate(d)

    def current_gains(self) -> dict[str, float]:
        """Layer gains of the variant that is or is becoming current."""
        for d in reversed(self._decks):
            if d.fading >= 0:
                names = self.stems.layer_names[d.v]
                return {n: float(g) * d.env for n, g in zip(names, d.g.tolist())}
        return {}

    def position(self) -> tuple[int, int]:
        """(cue position in samples, loop passes) of the variant that is or is becoming current."""
        for d in reversed(self._decks):
            if d.fading >= 0:
                return d.pos, d.passes
        return 0, 0

    def load_events(self, events: list[tuple]) -> None:
        """Queue many events at once (offline renders): merged and sorted."""
        self.events = sorted(self.events[self._ev_i:] + list(events))
        self._ev_i = 0
        self._next_ev = self.events[0][0] if self.events else 1 << 62

    @staticmethod
    def switch_event(sample: int, variant: int, enter_pos: int, enter_passes: int, fade_len: int,
                     curve: str, stinger: int = -1) -> tuple:
        return (int(sample), SWITCH, int(variant), int(enter_pos), int(enter_passes), int(fade_len),
                CURVE_IDS[curve], int(stinger))

    @staticmethod
    def intensity_event(sample: int, value: float) -> tuple:
        return (int(sample), INTENSITY, float(value))

    @property
    def playing(self) -> int:
        """Index of the variant that is (or is becoming) the current one, -1 when silent."""
        for d in reversed(self._decks):
            if d.fading >= 0:
                return d.v
        return -1

    # ---- internals -----------------------------------------------------------------------
    def _locate(self, d: _Deck) -> None:
        st, cl = self.stems, self.clock
        d.wrap_at = cl.limit(d.pos)
        if d.passes >= 1 and cl.loop_start <= d.pos < cl.loop_start + st.seam:
            d.src, d.src_off, d.lim = st.seams[d.v], cl.loop_start, cl.loop_start + st.seam
        else:
            d.src, d.src_off, d.lim = st.stacks[d.v], 0, d.wrap_at

    def _add_deck(self, v: int, pos: int, passes: int, fade_len: int, curve: int, trim: Trim = NO_TRIM) -> None:
        d = None
        for x in self._pool:
            if not any(x is y for y in self._decks):
                d = x
                break
        if d is None:
            fading = [y for y in self._decks if y.fading < 0]
            d = min(fading or self._decks[:-1] or self._decks, key=lambda y: y.env)
            self._decks = [y for y in self._decks if y is not d]
        d.v, d.pos, d.passes = v, pos, passes
        d.lut = self.stems.luts[v]
        self._locate(d)
        d.take(d.lut.shape[1])
        d.k = int(self.i_cur * LUT_STEPS + 0.5)
        d.trim, d.tg = trim, trim.gain_at(self.t)
        if fade_len <= 0:
            d.fading, d.env = 0, 1.0
            np.multiply(d.lut[d.k], d.tg, out=d.g)
        else:
            d.fading, d.fade_start, d.fade_len, d.curve, d.env, d.env0 = 1, self.t, fade_len, curve, 0.0, 1.0
            d.g[:] = 0.0
            d.k = -1
        self._decks.append(d)

    def _apply(self, ev: tuple) -> None:
        if ev[1] == INTENSITY:
            self.i_target = min(1.0, max(0.0, ev[2]))
            return
        _, _, v, enter_pos, enter_passes, fade_len, curve, stinger = ev
        main = None
        for d in self._decks:
            if d.fading >= 0:
                main = d
                d.fading, d.fade_start, d.fade_len, d.curve, d.env0 = -1, self.t, max(1, fade_len), curve, d.env
                d.k = -1
        if enter_pos < 0:
            enter_pos, enter_passes = (main.pos, main.passes) if main is not None else (0, 0)
        trim, shot = transition_gains(self.stems, self.t, fade_len,
                                      None if main is None else (main.v, main.pos, main.passes),
                                      NO_TRIM if main is None else main.trim, (v, enter_pos, enter_passes), self.i_cur,
                                      curve, 1.0 if main is None else main.env0, stinger)
        self._add_deck(v, enter_pos, enter_passes, fade_len, curve, trim)
        if stinger >= 0:
            self._voices.append([self.stems.stingers[stinger], 0, shot])

    def process(self, out: np.ndarray) -> np.ndarray:
        """Fill ``out`` ((frames <= block, 2) float32, C-contiguous) with the next frames.

        One long function on purpose: this is the per-block path of a real-time thread, and every
        call it does not make is time the block does not spend (see benchmarks/playback.py).
        """
        n = out.shape[0]
        if n > self.block:
            raise ValueError(f"process() got {n} frames, more than the mixer's block of {self.block}")
        flat = out.reshape(-1)
        decks = self._decks
        if (len(decks) == 1 and self.history is None and not self.metering and not self._voices
                and self._next_ev >= self.t + n and self.i_cur == self.i_target):
            # The steady state (one variant, gains at rest, nothing due in this block): one dot.
            d = decks[0]
            if (d.fading == 0 and d.lim - d.pos > n and d.k == int(self.i_cur * LUT_STEPS + 0.5)
                    and (self.t + n <= d.trim.hold or (self.t >= d.trim.end and d.tg == 1.0))
                    and self.t >= d.trim.g_end):
                o = 2 * (d.pos - d.src_off)
                np.dot(d.src[o:o + 2 * n], d.g, out=flat)
                d.pos += n
                self.t += n
                return out
        tmp, ramp, blk = self._tmp, self._ramp, self.block
        peaks, metering = self.peaks, self.metering
        if self.history is not None and self._hist_i < self.history.shape[0]:
            h = self.history[self._hist_i]
            h[0] = self.i_cur
            h[1] = h[3] = -1
            for j, d in enumerate(self._decks[-2:]):
                h[1 + 2 * j] = d.v
                h[2 + 2 * j] = d.env
            self._hist_i += 1
        done = 0
        t = self.t
        while done < n:
            while self._next_ev <= t:
                self.t = t  # events start their fades at this exact sample
                self._apply(self.events[self._ev_i])
                self._ev_i += 1
                self._next_ev = self.events[self._ev_i][0] if self._ev_i < len(self.events) else 1 << 62
            m = n - done
            if self._next_ev - t < m:
                m = self._next_ev - t
            for d in self._decks:
                if d.lim - d.pos < m:
                    m = d.lim - d.pos
                if d.fading and d.fade_start + d.fade_len - t < m:
                    m = d.fade_start + d.fade_len - t
                if t < d.trim.g_end:  # the guard's ramp bends at its next knot
                    k = d.trim.next_knot(t) - t
                    if k < m:
                        m = k
            for voice in self._voices:
                r = (voice[0].shape[0] >> 1) - voice[1]
                if r < m:
                    m = r
                if t < voice[2].g_end:  # its gain bends at its next knot
                    r = voice[2].next_knot(t) - t
                    if r < m:
                        m = r
            i_end = self.i_cur
            if i_end != self.i_target:
                step = self.slew_per_sample * m
                if abs(self.i_target - i_end) <= step:
                    i_end = self.i_target
                else:
                    i_end += step if self.i_target > i_end else -step
            k_end = int(i_end * LUT_STEPS + 0.5)
            a, b = 2 * done, 2 * (done + m)
            dst = flat[a:b]
            tm = tmp[:b - a]
            first = True
            ended = False
            for d in self._decks:
                o = 2 * (d.pos - d.src_off)
                seg = d.src[o:o + b - a]
                tr = d.trim
                tg = tr.gain_at(t + m) if t < tr.end or t < tr.g_end else 1.0
                moving = d.fading != 0 or d.k != k_end or tg != d.tg
                if moving:
                    # The gains move in this sub-block: ramp from d.g (now) to d.g1 (at its end).
                    if d.fading:
                        u = (t + m - d.fade_start) / d.fade_len
                        env = fade_in(d.curve, u) if d.fading > 0 else d.env0 * fade_out(d.curve, u)
                    else:
                        env = 1.0
                    w = env * tg
                    if w == 1.0:
                        d.g1[:] = d.lut[k_end]
                    else:
                        np.multiply(d.lut[k_end], w, out=d.g1)
                    np.subtract(d.g1, d.g, out=d.dg)
                    d.dg *= blk / m
                part = dst if first else tm
                np.dot(seg, d.g, out=part)
                if metering:
                    # The gains at the sub-block start: close enough to show a level.
                    pk = max(part.max(), -part.min())
                    if pk > peaks[d.v]:
                        peaks[d.v] = pk
                if not first:
                    dst += tm
                if moving:
                    np.dot(seg, d.dg, out=tm)
                    tm *= ramp[:b - a]
                    dst += tm
                    d.g, d.g1 = d.g1, d.g
                    d.k, d.env, d.tg = k_end, env, tg
                first = False
                if d.fading and t + m >= d.fade_start + d.fade_len:
                    ended = True
                d.pos += m
                if d.pos == d.lim:
                    if d.pos == d.wrap_at:
                        d.pos = self.clock.loop_start
                        d.passes += 1
                    self._locate(d)
            if first:
                dst.fill(0.0)
            if self._voices:
                for voice in self._voices:
                    p, shot = voice[1], voice[2]
                    seg = voice[0][2 * p:2 * p + b - a]
                    if t < shot.g_end:  # the peak guard holds the stinger under what the decks leave
                        h0, h1 = shot.gain_at(t), shot.gain_at(t + m)
                        np.multiply(seg, h0, out=tm)
                        dst += tm
                        if h1 != h0:
                            np.multiply(seg, ramp[:b - a], out=tm)
                            tm *= (h1 - h0) * blk / m
                            dst += tm
                    else:
                        dst += seg
                    voice[1] = p + m
                self._voices = [v for v in self._voices if 2 * v[1] < v[0].shape[0]]
            t += m
            done += m
            self.i_cur = i_end
            # Finished fades: a faded-in deck becomes steady, a faded-out one stops.
            if ended:
                keep = []
                for d in self._decks:
                    if d.fading and t >= d.fade_start + d.fade_len:
                        if d.fading < 0:
                            continue
                        d.fading = 0
                    keep.append(d)
                self._decks = keep
        self.t = t
        return out

    def render(self, frames: int, progress=None) -> np.ndarray:
        """Render ``frames`` samples into a new (frames, 2) float32 array, block by block."""
        total = np.empty((frames, 2), dtype=np.float32)  # process() writes every frame
        blk = self.block
        for i in range(0, frames, blk):
            self.process(total[i:i + blk])
            if progress is not None:
                progress(min(i + blk, frames), frames)
        return total
