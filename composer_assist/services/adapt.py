"""Adapting a cue to an emotion trace end to end: render the stems, adapt, write the results."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable

from composer_assist.adaptive.decision_log import write_decision_log
from composer_assist.adaptive.engine import AdaptiveResult, run_adaptive
from composer_assist.audio.render import render_cue
from composer_assist.audio.wavio import WavStream, write_wav
from composer_assist.core.profile import ClusterProfile
from composer_assist.core.project import Project
from composer_assist.core.trace import Trace
from composer_assist.playback.policy import DEFAULT_MODE

from .outputs import prepare_out_dir

WAV_NAME, LOG_NAME, FIGURE_NAME = "adaptive.wav", "decisions.json", "adaptive.png"


def adapt(project: Project, cue: str, trace: Trace, mode: str = DEFAULT_MODE, profile: ClusterProfile | None = None,
          duration: float | None = None, out_dir: str | os.PathLike | None = None, render: Any = None,
          jobs: int = 2, use_cache: bool = True, figure: bool = True,
          progress: Callable[[int, int], None] | None = None) -> AdaptiveResult:
    """Adapt ``cue`` to ``trace``, rendering its stems first unless ``render`` (stems) is given.

    With ``out_dir`` the soundtrack streams block by block to OUT/adaptive.wav (memory does not
    grow with the trace; ``result.audio`` maps the file) and the decision log and figure are
    written beside it; without, the soundtrack stays in memory.
    """
    out = prepare_out_dir(out_dir) if out_dir is not None else None
    if render is None:
        render = render_cue(project, cue, jobs=jobs, use_cache=use_cache)
    sink = None
    if out is not None:
        sr = getattr(render, "sample_rate", project.sample_rate)
        sink = lambda frames: WavStream(out / WAV_NAME, sr)  # noqa: E731
    result = run_adaptive(project, cue, trace, mode=mode, profile=profile, render=render, duration=duration,
                          progress=progress, sink=sink)
    if out is not None:
        _write_report(result, out, figure)
    return result


def write_outputs(result: AdaptiveResult, out_dir: str | os.PathLike, figure: bool = True) -> dict[str, Path]:
    """Write a result held in memory: adaptive.wav (float32), decisions.json and adaptive.png."""
    out = prepare_out_dir(out_dir)
    write_wav(out / WAV_NAME, result.audio.T, result.sample_rate)  # (frames, 2) -> (2, frames) view
    return {"audio": out / WAV_NAME, **_write_report(result, out, figure)}


def _write_report(result: AdaptiveResult, out: Path, figure: bool) -> dict[str, Path]:
    files = {"decisions": out / LOG_NAME}
    write_decision_log(result, files["decisions"])
    if figure:
        from composer_assist.figures.adaptive import plot_adaptive  # matplotlib only when drawing

        files["figure"] = out / FIGURE_NAME
        plot_adaptive(result, files["figure"])
    return files
