"""One call from a project, a cue and an emotion trace to the adaptive soundtrack and its report.

    result = run_adaptive(project, "chase", trace, mode="planned", render=cue_render)
    print(format_quality(result))

Writing the soundtrack, decision log and figure is ``composer_assist.services.adapt.write_outputs``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from composer_assist.core.errors import ProjectError, TraceError
from composer_assist.core.project import Cue, Project
from composer_assist.core.profile import ClusterProfile
from composer_assist.core.trace.model import MAX_RENDER_S

from . import quality as _quality
from .decision_log import layer_entries
from composer_assist.playback.player import Player
from composer_assist.playback.policy import DEFAULT_MODE, ControlTrack, PolicyConfig, control_track
from composer_assist.playback.planned import wanted_changes
from composer_assist.playback.schedule import Schedule, dwell_samples
from composer_assist.playback.stems import StemSet


@dataclass
class AdaptiveResult:
    project: Project
    cue: Cue
    trace: Any
    mode: str
    profile: ClusterProfile | None
    sample_rate: int
    audio: np.ndarray  # (frames, 2) float32: in memory, or the written WAV read on demand (WavFrames)
    stems: StemSet
    track: ControlTrack
    reference: ControlTrack  # zero-phase view used to date emotion changes for the figures
    schedule: Schedule
    history: np.ndarray  # per mixer block: intensity, variant_a, env_a, variant_b, env_b
    block: int
    quality: _quality.Quality
    log_entries: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def variant_shares(self) -> dict[str, float]:
        """Share of the soundtrack's time each variant is the dominant one."""
        samples = np.arange(0, self.audio.shape[0], max(1, self.sample_rate // 100))
        playing = _quality.playing_at(self.schedule, samples)
        names = self.stems.variant_names
        return {n: float(np.mean(playing == i)) for i, n in enumerate(names)}

    def layer_gains(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Block times and each 'variant/layer' effective gain (intensity law x crossfade)."""
        h = self.history
        times = np.arange(h.shape[0]) * self.block / self.sample_rate
        from composer_assist.core.mixmath import LUT_STEPS

        k = np.clip((h[:, 0] * LUT_STEPS + 0.5).astype(np.int64), 0, LUT_STEPS)
        out = {}
        for vi, name in enumerate(self.stems.variant_names):
            env = np.where(h[:, 1] == vi, h[:, 2], 0.0) + np.where(h[:, 3] == vi, h[:, 4], 0.0)
            if not np.any(env > 0):
                continue
            g = self.stems.luts[vi][k] * env[:, None]
            for li, layer in enumerate(self.stems.layer_names[vi]):
                out[f"{name}/{layer}"] = g[:, li]
        return times, out

    def played_intensity(self, times: np.ndarray) -> np.ndarray:
        """The intensity the mixer played at each audio time (s)."""
        return played_intensity(self.history, self.block, self.sample_rate, times)


def played_intensity(history: np.ndarray, block: int, sample_rate: int, times: np.ndarray) -> np.ndarray:
    """The mixer's intensity (``history`` column 0, one row per block) at each audio time (s)."""
    if history is None or not history.shape[0]:
        return np.zeros(np.shape(times))
    k = np.clip(np.floor(np.asarray(times) * sample_rate / block).astype(np.int64), 0, history.shape[0] - 1)
    return history[k, 0].astype(np.float64)


def _stems_for(render: Any) -> StemSet:
    if isinstance(render, StemSet):
        return render
    if render is None:
        # Rendering is the audio layer's job, above this one: composer_assist.adapt renders first.
        raise TypeError("run_adaptive needs the cue's stems: pass render=render_cue(...) or a StemSet "
                        "(composer_assist.adapt renders them for you)")
    return StemSet.from_render(render)


class BlockSink(Protocol):
    """Where ``run_adaptive`` puts the soundtrack, block by block."""

    def write(self, block: np.ndarray) -> None: ...

    def finish(self) -> Any:
        """The whole soundtrack as a (frames, 2) float32 array-like (sliced, never copied whole)."""


class MemorySink:
    """The soundtrack in memory (short renders, tests, scripts)."""

    def __init__(self, frames: int) -> None:
        self.audio = np.empty((frames, 2), dtype=np.float32)
        self.n = 0

    def write(self, block: np.ndarray) -> None:
        self.audio[self.n:self.n + block.shape[0]] = block
        self.n += block.shape[0]

    def finish(self) -> np.ndarray:
        return self.audio




def run_adaptive(project: Project, cue_name: str, trace: Any, mode: str = DEFAULT_MODE,
                 profile: ClusterProfile | None = None, render: Any = None, duration: float | None = None,
                 block: int = 512, config: PolicyConfig | None = None,
                 progress: Callable[[int, int], None] | None = None,
                 sink: Callable[[int], BlockSink] | None = None) -> AdaptiveResult:
    """Adapt a cue to a trace: the player, fed the trace with no device, block by block.

    ``render`` is an ``audio.render.CueRender`` or a ``StemSet``.  ``duration`` defaults to the
    trace's length (the trace's first sample is audio time 0).  ``sink(frames)`` makes where the
    blocks go (default: memory; ``services.adapt`` streams them to a WAV file, so memory does not
    grow with the trace).  ``progress(done, total)`` is called as the mix advances, in frames.
    """
    try:
        cue = project.cue(cue_name)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    stems = _stems_for(render)
    timings["stems_s"] = time.perf_counter() - t0
    sr = stems.sample_rate
    # Exactly the trace's duration (or ``duration``), not cut to the last control tick.
    total = float(trace.times[-1]) - float(trace.times[0]) if duration is None else float(duration)
    if not 0 < total <= MAX_RENDER_S:
        where = getattr(trace, "source", "") or getattr(trace, "name", "") or "trace"  # the file, when read from one
        if duration is None and total == 0:
            raise TraceError(f"{where}: one reading spans no time, so there is nothing to render; give a --duration")
        raise TraceError(f"{where}: a duration of {total:g} s is not one to render (at most {MAX_RENDER_S / 3600:g} h)")
    frames = max(1, int(round(total * sr)))
    n_blocks = -(-frames // block)

    t0 = time.perf_counter()
    player = Player(stems, mode=mode, trace=trace, profiles=[profile] if profile else None,
                    profile=0 if profile else None, config=config, block=block, duration=duration,
                    history_blocks=n_blocks, publish_status=False)
    timings["policy_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = (sink or MemorySink)(frames)
    buf = np.empty((block, 2), dtype=np.float32)
    peak, peak_block = 0.0, 0
    for i in range(0, frames, block):
        n = min(block, frames - i)
        player.render_block(buf[:n])
        out.write(buf[:n])
        top = max(float(buf[:n].max()), -float(buf[:n].min()))
        if top > peak:
            peak, peak_block = top, i
        if progress is not None:
            progress(i + n, frames)
    audio = out.finish()
    timings["mix_s"] = time.perf_counter() - t0
    at = peak_block + int(np.argmax(np.max(np.abs(np.asarray(audio[peak_block:peak_block + block])), axis=1)))

    t0 = time.perf_counter()
    track, reference, q, entries = _report(cue, trace, mode, profile, config, duration, player, audio, stems, block,
                                           (peak, at))
    timings["quality_s"] = time.perf_counter() - t0
    return AdaptiveResult(project, cue, trace, mode, profile, sr, audio, stems, track, reference, player.schedule,
                          player.mixer.history, block, q, entries, timings)


def _report(cue: Cue, trace: Any, mode: str, profile, config, duration, player: Player, audio, stems: StemSet,
            block: int, peak: tuple[float, int] | None = None):
    """The control tracks, quality figures and decision-log entries of a finished run."""
    sr, schedule = stems.sample_rate, player.schedule
    track = control_track(trace, cue, mode, profile, config, duration)
    reference = track if mode == "planned" else control_track(trace, cue, "planned", profile, config, duration)
    ref_changes = [(c, v) for c, v, _ in wanted_changes(reference, cue.adaptive.hysteresis,
                                                         dwell_samples(cue, sr) / sr)]
    if mode != "planned":
        schedule.changes = ref_changes  # for the figure: when the scene turned
    # Congruence is measured against the trace as read (interpolated) in both modes; calibrated,
    # against the calibration the mode makes (live: running statistics, causal).
    judged = _live_calibrated(reference, cue, trace) if mode == "live" else reference
    q = _quality.compute_quality(cue, schedule, ref_changes, judged, audio, sr, stems, block,
                                 played_intensity(player.mixer.history, block, sr, judged.times), peak)
    entries = list(schedule.log)
    entries += layer_entries(stems, player.mixer.history, block, [e for e in entries if e["kind"] == "intensity"])
    return track, reference, q, entries


def _live_calibrated(reference: ControlTrack, cue: Cue, trace: Any) -> ControlTrack:
    """The reference with the curve as live mode calibrates it (causal, seeded by the trace's
    viewing context when it has one), when it is calibrated."""
    if reference.read_valence is None:
        return reference
    from dataclasses import replace

    from composer_assist.playback.calibration import calibrate_running, cue_plane
    from composer_assist.playback.policy import viewing_of

    plane = cue_plane(np.array([v.valence for v in cue.variants]), np.array([v.arousal for v in cue.variants]))
    v, a = calibrate_running(reference.read_valence, reference.read_arousal, plane, reference.rate,
                             viewing_of(trace))
    return replace(reference, valence=v, arousal=a)


def format_quality(result: AdaptiveResult) -> str:
    return _quality.format_quality(result.quality, result.cue, result.schedule, result.sample_rate)
