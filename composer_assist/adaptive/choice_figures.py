"""Planned mode's variant choice measured without rendering audio: congruence, the oracle and
switches a minute from the schedule alone (as ``quality`` measures them on a render)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from composer_assist.core.project import Cue
from composer_assist.playback.clock import CueClock
from composer_assist.playback.budget import budget_of
from composer_assist.playback.planned import chosen_changes, planned_gain, schedule_planned
from composer_assist.playback.schedule import dwell_samples
from composer_assist.playback.policy import PolicyConfig, control_track

from .quality import _congruence, _oracle_congruence


def choice_figures(cue: Cue, trace: Any, choice: str = "optimal", sample_rate: int = 48000,
                   calibrate: bool = True) -> dict[str, float]:
    """Congruence, oracle, engine / oracle and switches per minute of planned mode on ``trace``."""
    track = control_track(trace, cue, "planned", None, PolicyConfig(calibrate=calibrate))
    sched = schedule_planned(cue, CueClock(cue, sample_rate), track, choice=choice)
    duration = float(track.times[-1])
    heard = [s for s in sched.switches if s.sample < duration * sample_rate]
    cong, oracle = _congruence(cue, sched, track, sample_rate), _oracle_congruence(cue, track)
    return {"congruence": cong, "oracle": oracle, "ratio": cong / oracle if oracle > 0 else 1.0,
            "per_minute": len(heard) / (duration / 60.0), "switches": float(len(heard))}


def film_timing(cue: Cue, trace: Any, sample_rate: int = 48000) -> tuple[float, float, int]:
    """(seconds for the segmentation alone, seconds to schedule ``trace`` in planned mode, control
    ticks): the policy track is built first and not timed."""
    track = control_track(trace, cue, "planned", None, PolicyConfig(calibrate=True))
    clock = CueClock(cue, sample_rate)
    gain = planned_gain(cue, track)
    t = time.perf_counter()
    chosen_changes(track, gain, int(np.argmin(track.raw_scores[0])), dwell_samples(cue, sample_rate) / sample_rate,
                   cue.adaptive.congruence_radius, budget=budget_of(cue), hysteresis=cue.adaptive.hysteresis)
    choice = time.perf_counter() - t
    t = time.perf_counter()
    schedule_planned(cue, clock, track)
    return choice, time.perf_counter() - t, int(track.times.size)
