"""Real-time preview: a player over a cue's stems, and an audio output to play it on.

What the ``play`` command and the studio app share.  The output is opened in two steps so a
wrong device, sample rate or block size fails before any rendering.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from composer_assist.audio.render import render_cue
from composer_assist.core.errors import ProjectError
from composer_assist.core.profile import ClusterProfile
from composer_assist.core.project import Project
from composer_assist.playback import commands as C
from composer_assist.playback.player import Player
from composer_assist.playback.stems import StemSet


def start_player(project: Project, cue: str, trace: Any = None, mode: str = "live",
                 profile: ClusterProfile | None = None, block: int = 512,
                 start: tuple[str, float, float] | None = None, jobs: int = 2, use_cache: bool = True,
                 progress: Callable[[int, int], None] | None = None,
                 profiles: list[ClusterProfile] | None = None, calibrate: bool | None = None) -> Player:
    """Render (or load cached) stems of ``cue`` and make a player positioned at ``start``
    (``("seconds", s, 0)`` or ``("bar", bar, beat)``).  ``profiles``: every profile the player
    may switch to live (``commands.profile(i)``); ``profile`` (one of them, or alone) is followed.
    ``calibrate`` as for ``services.adapt.adapt`` (None: on for a trace read from a file)."""
    from composer_assist.playback.policy import PolicyConfig

    from .adapt import calibrate_default

    render = render_cue(project, cue, jobs=jobs, use_cache=use_cache, progress=progress)
    stems = StemSet.from_render(render)
    choices = list(profiles) if profiles else ([profile] if profile else [])
    index = next((i for i, p in enumerate(choices) if p is profile), None) if profile else None
    player = Player(stems, mode=mode, trace=trace, profiles=choices or None, profile=index, block=block,
                    config=PolicyConfig(calibrate=calibrate_default(trace, calibrate)))
    if start is not None:
        if start[0] == "seconds":
            player.prepare(C.seek(int(round(start[1] * stems.sample_rate))))
        else:
            c = project.cue(cue)
            bars, beats = c.length_bars, c.meter.numerator
            if start[1] > bars:
                raise ProjectError(f"--start {int(start[1])}:{start[2]:g}: cue {cue!r} has {bars} bars")
            if start[2] >= beats + 1:  # 1:9 in 4/4 is no beat of bar 1 (it read as bar 3)
                raise ProjectError(f"--start {int(start[1])}:{start[2]:g}: a bar of {c.meter} has beats 1 to "
                                   f"{beats} (and fractions before {beats + 1})")
            player.prepare(C.seek_beat(int(start[1]), start[2]))
    return player


# Mixed ahead of the device (enough for a busy Python thread, benchmarks/output.py).  More is not
# safer on PulseAudio: with 0.1 s the larger first burst lost ~50 ms at the start of the stream.
AHEAD_S = 0.045


class Output:
    """An audio output chosen up front (device checked), started on a player with ``play``."""

    def __init__(self, device: str | int | None, null: bool, block: int, sample_rate: int = 48000,
                 latency: str = "high", sink: Callable[[Any], None] | None = None) -> None:
        self.device, self.null, self.block, self.latency = device, null, block, latency
        self.sink = sink  # the null output hands every block it consumes to this (tests capture it)
        self.ahead = max(4, math.ceil(AHEAD_S * sample_rate / block))
        self._out: Any = None
        if not null:
            from composer_assist.audio.devices import check_format, find_device

            self.info = find_device(device)
            check_format(self.info, sample_rate, 2, block)

    @contextlib.contextmanager
    def play(self, player: Player) -> Iterator[Any]:
        from composer_assist.audio.output import DeviceOutput, NullOutput

        if self.null:
            self._out = NullOutput(player, block=self.block, ahead_blocks=self.ahead, realtime=True,
                                   sink=self.sink)
        else:
            # "high": PortAudio's safer device buffer (~43 ms); at "low" a PulseAudio sink on a
            # busy machine underflowed now and then.  A preview needs no lower.
            self._out = DeviceOutput(player, device=self.info.index, block=self.block, ahead_blocks=self.ahead,
                                     latency=self.latency)
        try:
            self._out.start()
            yield self._out
        finally:
            self._out.close()

    def failed(self) -> str | None:
        """Why the output stopped on its own (the source raised, the device went away), or None."""
        if self._out is None:
            return None
        stats = self._out.stats()
        if stats.error:
            return stats.error
        if not stats.running:  # the device's stream ended under us: nothing more will be heard
            where = f"the audio device {stats.device!r}" if stats.device else "the audio output"
            return f"{where} stopped taking audio (unplugged, or its sound server ended)"
        return None


def until_end(player: Player, end_s: float | None, most: float = 0.1) -> float | None:
    """Seconds to wait before looking again, or None once the music is mixed up to ``end_s`` but
    its last block (time for ``fade_out``).  The status runs ahead of what is heard by the output's
    latency; the end is reached in the mixing, the last block ramped out and then heard out."""
    if end_s is None:
        return most
    left = end_s - player.block / player.sample_rate - player.status.seconds
    return None if left <= 0 else min(most, max(0.005, left))


def fade_out(player: Player, queue: Any, output: Output) -> None:
    """Ramp the music out over its next block (a pause) and wait until that has been heard, so the
    output closes on silence and nothing mixed is lost (``play --duration`` was cut ~70 ms early)."""
    queue.post(C.pause())
    stats = player.status.output
    # the latency PortAudio reports, plus a margin: a sound server may hold a little more
    heard = time.monotonic() + 2 * player.block / player.sample_rate + 0.1 + (stats.latency if stats else 0.1)
    while time.monotonic() < heard and not output.failed():
        time.sleep(0.01)


def open_output(device: str | int | None, null: bool = False, block: int = 512, sample_rate: int = 48000,
                latency: str = "high", sink: Callable[[Any], None] | None = None) -> Output:
    """Check the device and format now; open and start it later with ``Output.play``."""
    return Output(device, null, block, sample_rate, latency, sink)


@dataclass
class LayerSwap:
    """A layer rendered again, to swap into the playing player: ``command(player)`` lays it out
    for the player's loop region as it is now (``StemSet.layer_rows``, off the audio thread)."""

    variant: int
    layer: int
    audio: Any
    tail: Any
    spec: Any

    def command(self, player: Player) -> tuple:
        stems = player.stems
        clock = stems.clock
        column, seam = stems.layer_rows(self.variant, self.layer, self.audio, self.tail, self.spec)
        return C.swap(self.variant, self.layer, column, seam, clock)


def render_layer(project: Project, player: Player, cue: str, variant: str, layer: str, jobs: int = 2,
                 progress: Callable[[int, int], None] | None = None) -> LayerSwap | None:
    """Render one layer of the playing cue again (worker processes, cached), ready to be laid out
    as a ``swap`` command for ``player``; None when the player lacks it."""
    render = render_cue(project, cue, variants=[variant], jobs=jobs, progress=progress, stingers=False)
    stems = player.stems
    if variant not in stems.variant_names:
        return None
    vi = stems.variant_index(variant)
    if layer not in stems.layer_names[vi]:
        return None
    li = stems.layer_names[vi].index(layer)
    tail = (getattr(render, "tails", None) or {}).get(variant, {}).get(layer)
    spec = project.cue(cue).variant(variant).layer(layer)  # the edited gain and pan
    return LayerSwap(vi, li, render.stems[variant][layer], tail, spec)
