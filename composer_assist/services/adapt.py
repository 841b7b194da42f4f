"""Adapting a cue to an emotion trace end to end: render the stems, adapt, write the results."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from composer_assist.adaptive.engine import AdaptiveResult, run_adaptive
from composer_assist.playback.policy import DEFAULT_MODE
from composer_assist.adaptive.decision_log import write_decision_log
from composer_assist.audio.render import render_cue
from composer_assist.audio.wavio import write_wav
from composer_assist.core.profile import ClusterProfile
from composer_assist.core.project import Project
from composer_assist.core.trace import Trace


def adapt(project: Project, cue: str, trace: Trace, mode: str = DEFAULT_MODE, profile: ClusterProfile | None = None,
          duration: float | None = None, jobs: int = 2, use_cache: bool = True,
          progress: Callable[[int, int], None] | None = None) -> AdaptiveResult:
    """Render (or reuse cached) stems of ``cue`` and adapt them to ``trace``."""
    render = render_cue(project, cue, jobs=jobs, use_cache=use_cache, progress=progress)
    return run_adaptive(project, cue, trace, mode=mode, profile=profile, render=render, duration=duration)


def write_outputs(result: AdaptiveResult, out_dir: str | os.PathLike, figure: bool = True) -> dict[str, Path]:
    """Write adaptive.wav (float32), decisions.json and (with ``figure``) adaptive.png into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"audio": out / "adaptive.wav", "decisions": out / "decisions.json"}
    write_wav(files["audio"], result.audio.T, result.sample_rate)  # (frames, 2) -> (2, frames) view
    write_decision_log(result, files["decisions"])
    if figure:
        from composer_assist.figures.adaptive import plot_adaptive  # matplotlib only when drawing

        files["figure"] = out / "adaptive.png"
        plot_adaptive(result, files["figure"])
    return files
