"""Evaluating a cue over a set of viewer traces: render once, adapt live and planned on each."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Callable

from composer_assist.adaptive.engine import run_adaptive
from composer_assist.adaptive.evaluation import TraceEval, evaluate_pair
from composer_assist.audio.render import render_cue
from composer_assist.core.errors import ProjectError
from composer_assist.core.project import Project
from composer_assist.core.trace import Trace
from composer_assist.package.loudness import render_delivery
from composer_assist.playback.policy import PolicyConfig
from composer_assist.playback.stems import StemSet

from .adapt import calibrate_default


def evaluate_cue(project: Project, cue: str, traces: list[Trace], radius: float | None = None,
                 jobs: int = 2, progress: Callable[[int, int], None] | None = None,
                 calibrate: bool | None = None) -> list[TraceEval]:
    """Rows (live, planned) per trace; congruence at ``radius`` (default: the cue's own).

    ``calibrate`` as in ``services.adapt`` (None: on for traces read from files)."""
    try:
        c = project.cue(cue)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    if radius is not None:
        # The figures' radius, and the one planned mode's choice maximises the time within.
        project = copy.copy(project)
        c = replace(c, adaptive=replace(c.adaptive, congruence_radius=float(radius)))
        project.cues = [c if x.name == cue else x for x in project.cues]
    render = render_cue(project, cue, jobs=jobs)
    delivery = render_delivery(c, render.stems, render.level_match(), render.intensity_peaks()).delivery_gain_db
    stems = StemSet.from_render(render)  # laid out (and its peak envelopes measured) once for every run
    total = sum(t.duration for t in traces) * 2
    done, rows = 0.0, []
    for trace in traces:
        results = []
        for mode in ("live", "planned"):
            base = done

            def step(n: int, of: int, base: float = base, d: float = trace.duration) -> None:
                if progress is not None:
                    progress(int(base + d * n / max(1, of)), int(total))

            config = PolicyConfig(calibrate=calibrate_default(trace, calibrate))
            results.append(run_adaptive(project, cue, trace, mode=mode, render=stems, progress=step, config=config))
            done += trace.duration
        rows.extend(evaluate_pair(*results, radius=c.adaptive.congruence_radius, delivery_gain_db=delivery))
    return rows
