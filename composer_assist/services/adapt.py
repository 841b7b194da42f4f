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
from composer_assist.playback.policy import DEFAULT_MODE, PolicyConfig

from .outputs import prepare_out_dir

WAV_NAME, LOG_NAME, FIGURE_NAME = "adaptive.wav", "decisions.json", "adaptive.png"


class FigurePool:
    """Draws figures in a second process while the caller goes on to the next render.

    ``with FigurePool() as figures: adapt(..., figures=figures)``: the figures are written by the
    time the block ends (drawing one takes about as long as adapting a trace, and the machine has
    a second core).  Only what a figure shows crosses to the other process.
    """

    def __init__(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: the child has every module this process imported; nothing to import again.
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        self._pending: list[Any] = []

    def submit(self, result: AdaptiveResult, path: Path) -> None:
        from composer_assist.figures.adaptive import FigureData, draw_adaptive

        self._pending.append(self._pool.submit(draw_adaptive, FigureData.of(result), path))

    def __enter__(self) -> "FigurePool":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            for f in self._pending:
                if exc[0] is None:
                    f.result()  # a drawing error reaches the caller
        finally:
            self._pool.shutdown(wait=True, cancel_futures=exc[0] is not None)


def adapt(project: Project, cue: str, trace: Trace, mode: str = DEFAULT_MODE, profile: ClusterProfile | None = None,
          duration: float | None = None, out_dir: str | os.PathLike | None = None, render: Any = None,
          jobs: int = 2, use_cache: bool = True, figure: bool = True, figures: FigurePool | None = None,
          progress: Callable[[int, int], None] | None = None, calibrate: bool | None = None) -> AdaptiveResult:
    """Adapt ``cue`` to ``trace``, rendering its stems first unless ``render`` (stems) is given.

    ``calibrate`` maps the viewer's baseline and range onto the cue's plane
    (``playback/calibration.py``); None: on for a trace read from a file (``trace.source``).

    With ``out_dir`` the soundtrack streams block by block to OUT/adaptive.wav (memory does not
    grow with the trace; ``result.audio`` reads the file) and the decision log and figure are
    written beside it (the figure by ``figures`` when given); without, the soundtrack stays in
    memory.
    """
    out = prepare_out_dir(out_dir) if out_dir is not None else None
    if render is None:
        render = render_cue(project, cue, jobs=jobs, use_cache=use_cache)
    sink = None
    if out is not None:
        sr = getattr(render, "sample_rate", project.sample_rate)
        sink = lambda frames: WavStream(out / WAV_NAME, sr)  # noqa: E731
    result = run_adaptive(project, cue, trace, mode=mode, profile=profile, render=render, duration=duration,
                          progress=progress, sink=sink, config=PolicyConfig(calibrate=calibrate_default(trace, calibrate)))
    if out is not None:
        _write_report(result, out, figure, figures)
    return result


def calibrate_default(trace: Any, calibrate: bool | None) -> bool:
    """Calibration is on by default for a real trace, one read from a file."""
    return bool(getattr(trace, "source", "")) if calibrate is None else bool(calibrate)


def write_outputs(result: AdaptiveResult, out_dir: str | os.PathLike, figure: bool = True) -> dict[str, Path]:
    """Write a result held in memory: adaptive.wav (float32), decisions.json and adaptive.png."""
    out = prepare_out_dir(out_dir)
    write_wav(out / WAV_NAME, result.audio.T, result.sample_rate)  # (frames, 2) -> (2, frames) view
    return {"audio": out / WAV_NAME, **_write_report(result, out, figure)}


def _write_report(result: AdaptiveResult, out: Path, figure: bool, figures: FigurePool | None = None) -> dict[str, Path]:
    files = {"decisions": out / LOG_NAME}
    write_decision_log(result, files["decisions"])
    if figure:
        files["figure"] = out / FIGURE_NAME
        if figures is not None:
            figures.submit(result, files["figure"])
        else:
            from composer_assist.figures.adaptive import plot_adaptive  # matplotlib only when drawing

            plot_adaptive(result, files["figure"])
    return files
