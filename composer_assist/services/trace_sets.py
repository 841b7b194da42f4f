"""Sets of viewer traces as they come: files, folders, and a film's annotation cut into its scenes.

A folder gives every trace file in it (``.csv``/``.json``, sorted; other files are skipped).  A
studyforrest file (the whole film, one row per 2 s) with the film's ``music.tsv`` beside it is cut
into the scenes the film scores (one trace per music cue of at least ``MIN_SCENE_S``, re-based to
start at 0): the moments a soundtrack would adapt to, not two hours of one trace.  Each scene
keeps the whole film as its viewing context (``Trace.viewing``), so viewer calibration knows the
viewer over the film, not over 25 seconds of it (docs/adaptive.md#viewer-calibration).  A trace met
twice (the same name and samples, e.g. a song converted to our CSV beside its original) counts once.
"""

from __future__ import annotations

import csv
import os

import numpy as np
from pathlib import Path
from typing import Any

from composer_assist.core.errors import TraceError
from composer_assist.core.trace import Trace, in_viewing, load_trace
from composer_assist.core.trace.formats import detect_format

TRACE_SUFFIXES = (".csv", ".json")
SCENES_FILE = "music.tsv"
MIN_SCENE_S = 20.0  # shorter music cues (a few seconds of a song on a radio) are no scene to score


def collect_traces(paths: list[str | os.PathLike], **read: Any) -> list[Trace]:
    """Every trace in ``paths`` (files or folders), in order; ``read`` goes to ``load_trace``."""
    out: list[Trace] = []
    for p in map(Path, paths):
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in TRACE_SUFFIXES)
            if not files:
                raise TraceError(f"{p}: no trace files (.csv, .json) in this folder")
        else:
            files = [p]
        for f in files:
            out.extend(t for t in _traces_of(f, read) if not any(_same(t, u) for u in out))
    return out


def _same(a: Trace, b: Trace) -> bool:
    """The same viewer trace read from two files (values equal to a CSV's rounding)."""
    return (a.name == b.name and a.times.shape == b.times.shape and np.allclose(a.times, b.times)
            and np.allclose(a.valence, b.valence, atol=1e-5) and np.allclose(a.arousal, b.arousal, atol=1e-5))


def _traces_of(path: Path, read: dict) -> list[Trace]:
    trace = load_trace(path, **read)
    if not trace.name:
        trace.name = path.stem
    scenes = path.parent / SCENES_FILE
    if scenes.is_file() and detect_format(path)[0] == "studyforrest":
        return film_scenes(trace, scenes)
    return [trace]


def film_scenes(film: Trace, music_tsv: str | os.PathLike, min_s: float = MIN_SCENE_S) -> list[Trace]:
    """The film's trace cut at each music cue of ``music_tsv`` (onset, duration in seconds), each
    scene with the film as its viewing context."""
    out = []
    with open(music_tsv, newline="", encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh, delimiter="\t"), start=2):
            try:
                onset, length = float(row["onset"]), float(row["duration"])
            except (KeyError, TypeError, ValueError):
                raise TraceError(f"{music_tsv}:{i}: onset and duration must be numbers") from None
            if length < min_s or onset >= film.end:
                continue
            scene = film.slice(onset, min(onset + length, film.end))
            scene = in_viewing(scene.shifted(-scene.start), film, scene.start)
            scene.name = f"{film.name or 'film'} {onset:.0f}-{onset + length:.0f} s"
            out.append(scene)
    return out


def with_recording(trace: Trace, recording: str | os.PathLike, at: float | None = None, **read: Any) -> Trace:
    """``trace`` calibrated by a longer ``recording`` of the same viewer (read as ``load_trace``
    with ``read``), ``trace`` starting ``at`` seconds into it (None: after all of it)."""
    whole = load_trace(recording, **read)
    return in_viewing(trace, whole, at, what="--calibrate-at")
