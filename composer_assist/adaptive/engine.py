"""One call from a project, a cue and an emotion trace to the adaptive soundtrack and its report.

    result = run_adaptive(project, "chase", trace, mode="planned", render=cue_render)
    print(format_quality(result))

Writing the soundtrack, decision log and figure is ``composer_assist.services.adapt.write_outputs``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from composer_assist.core.errors import ProjectError
from composer_assist.core.project import Cue, Project
from composer_assist.core.profile import ClusterProfile

from . import quality as _quality
from .decision_log import layer_entries
from composer_assist.playback.mixer import Mixer
from composer_assist.playback.policy import DEFAULT_MODE, ControlTrack, PolicyConfig, control_track
from composer_assist.playback.scheduler import Schedule, dwell_samples, schedule_live, schedule_planned, wanted_changes
from composer_assist.playback.stems import StemSet


@dataclass
class AdaptiveResult:
    project: Project
    cue: Cue
    trace: Any
    mode: str
    profile: ClusterProfile | None
    sample_rate: int
    audio: np.ndarray  # (frames, 2) float32
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
        from composer_assist.playback.stems import LUT_STEPS

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


def _stems_for(render: Any) -> StemSet:
    if isinstance(render, StemSet):
        return render
    if render is None:
        # Rendering is the audio layer's job, above this one: composer_assist.adapt renders first.
        raise TypeError("run_adaptive needs the cue's stems: pass render=render_cue(...) or a StemSet "
                        "(composer_assist.adapt renders them for you)")
    return StemSet.from_render(render)


def run_adaptive(project: Project, cue_name: str, trace: Any, mode: str = DEFAULT_MODE,
                 profile: ClusterProfile | None = None, render: Any = None, duration: float | None = None,
                 block: int = 512, config: PolicyConfig | None = None,
                 progress: Callable[[int, int], None] | None = None) -> AdaptiveResult:
    """Adapt a cue to a trace: policy, schedule, block mix and quality figures.

    ``render`` is an ``audio.render.CueRender`` or a ``StemSet``.  ``progress(done, total)`` is
    called as the mix advances, in frames.
    ``duration`` defaults to the trace's length (the trace's first sample is audio time 0).
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

    t0 = time.perf_counter()
    track = control_track(trace, cue, mode, profile, config, duration)
    reference = track if mode == "planned" else control_track(trace, cue, "planned", profile, config, duration)
    schedule = (schedule_planned if mode == "planned" else schedule_live)(cue, stems.clock, track)
    timings["policy_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # Exactly the trace's duration (or ``duration``), not cut to the last control tick.
    total = float(trace.times[-1]) - float(trace.times[0]) if duration is None else float(duration)
    frames = max(1, int(round(total * sr)))
    n_blocks = -(-frames // block)
    mixer = Mixer(stems, block=block, history_blocks=n_blocks)
    mixer.start(schedule.start_variant, schedule.start_intensity)
    mixer.load_events(schedule.events(stems))
    audio = mixer.render(frames, progress=progress)
    timings["mix_s"] = time.perf_counter() - t0

    ref_changes = [(c, v) for c, v, _ in wanted_changes(reference, cue.adaptive.hysteresis,
                                                         dwell_samples(cue, sr) / sr)]
    if mode != "planned":
        schedule.changes = ref_changes  # for the figure: when the scene turned
    # Congruence is measured against the trace as read (interpolated) in both modes.
    q = _quality.compute_quality(cue, schedule, ref_changes, reference, audio, sr, stems, block)
    entries = list(schedule.log)
    entries += layer_entries(stems, mixer.history, block, [e for e in entries if e["kind"] == "intensity"])
    return AdaptiveResult(project, cue, trace, mode, profile, sr, audio, stems, track, reference, schedule,
                          mixer.history, block, q, entries, timings)


def format_quality(result: AdaptiveResult) -> str:
    return _quality.format_quality(result.quality)
