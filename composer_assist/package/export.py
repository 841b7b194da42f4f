"""Export a cue as a package: manifest, stems (FLAC 24-bit; with ``web`` also Ogg/Opus), stingers,
listener profiles; built in a temporary folder and published in one step (``layout``).

    result = export_package(project, "night_chase", "out/night_chase.pkg", web=True)

Each stem is the rendered layer (body, then its release tail) times the layer's fader and pan, the
variant's matched gain and the delivery gain (``loudness``), quantised to 24 bits: what the
adaptive mixer reads, so the reference runtime's output is ``adapt``'s output times the delivery
gain, to 24-bit rounding.
"""

from __future__ import annotations

import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from composer_assist import __version__
from composer_assist.core.errors import PackageError, ProjectError
from composer_assist.core.mixmath import db_to_gain, layer_gains
from composer_assist.core.project import Cue, Layer, Project
from composer_assist.playback.clock import CueClock
from composer_assist.playback.policy import PolicyConfig
from composer_assist.playback.stems import StemSet
from composer_assist.runtime.format import STEM_SCALE

from . import manifest as M
from .describe import adaptive_part, cue_part, slug, transitions_part
from .encode import quantise, stem_scale, write_flac, write_opus
from .layout import file_entry, publish_folder, staging_dir, write_zip
from .loudness import render_delivery


@dataclass
class ExportResult:
    path: Path
    manifest: M.Manifest
    seconds: float
    bytes: int
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class _StemJob:
    rel: str  # path without extension
    audio: np.ndarray  # (2, n) float32, raw render (body + tail)
    frames: int
    gains: tuple[float, float]  # baked left/right gain


def _stem_job(rel: str, layer: Layer, body: np.ndarray, tail: np.ndarray | None, gain: float) -> _StemJob:
    audio = body if tail is None or not tail.shape[-1] else np.concatenate([body, tail], axis=1)
    gl, gr = layer_gains(layer.gain_db, layer.pan)
    return _StemJob(rel, audio, int(body.shape[-1]), (gl * gain, gr * gain))


def _encode(stage: Path, job: _StemJob, sample_rate: int, web: bool) -> tuple[M.Stem, list[M.FileEntry]]:
    """Bake, quantise, write and checksum one stem (thread-safe: encoders and hashing release the GIL).

    Baked in float32 as the adaptive mixer's stem set computes its columns (``playback.stems``).
    """
    baked = np.empty((job.audio.shape[1], 2), dtype=np.float32)
    np.multiply(job.audio[0], np.float32(job.gains[0]), out=baked[:, 0])
    np.multiply(job.audio[1], np.float32(job.gains[1]), out=baked[:, 1])
    scale = stem_scale(baked)
    if scale > STEM_SCALE[1]:  # a player refuses such a stem (runtime.format.MAX_STEM_PEAK): say so now
        raise PackageError(f"{job.rel}: peaks above +{20 * np.log10(STEM_SCALE[1]):.0f} dBFS after the delivery gain, "
                           f"more than a package's stem may reach: lower the layer's fader")
    q = quantise(baked, scale, overwrite=True)
    del baked
    (stage / job.rel).parent.mkdir(parents=True, exist_ok=True)
    flac = write_flac(stage / f"{job.rel}.flac", q, sample_rate, f"{job.rel}.flac")
    opus = write_opus(stage / f"{job.rel}.opus", q, sample_rate, f"{job.rel}.opus") if web else None
    stem = M.Stem(frames=job.frames, tail_frames=q.shape[0] - job.frames, scale=scale, flac=flac, opus=opus)
    # checksummed here, while the file is fresh in the page cache and the other worker encodes
    return stem, [file_entry(stage, f.path) for f in (flac, opus) if f is not None]


def _peak_envelopes(render: Any) -> tuple[int, list[np.ndarray], dict[str, np.ndarray]]:
    """(block, each variant's normalised peak envelope, each stinger's by name) of the stems as the
    mixer lays them out (``playback.stems``): the same figures ``adapt`` guards by, at any gain."""
    s = StemSet.from_render(render)
    return s.peak_block, s.peak_env, dict(zip(s.stinger_names, s.stinger_env))


def _variants(cue: Cue, render: Any, levels: Any, gain: float, jobs: list[_StemJob],
              envelopes: list[np.ndarray]) -> list[dict]:
    """Variant descriptions (layers' stems filled in later) and the stem jobs they need."""
    from composer_assist.core.level_match import nominal_intensity

    out = []
    for vi, v in enumerate(cue.variants):
        stems, tails = render.stems.get(v.name, {}), render.tails.get(v.name, {})
        layers = []
        for li, layer in enumerate(v.layers):
            if layer.name not in stems:
                raise PackageError(f"cue {cue.name!r}: variant {v.name!r} layer {layer.name!r} has no stem")
            job = _stem_job(f"stems/{slug(vi, v.name)}/{slug(li, layer.name)}", layer, stems[layer.name],
                            tails.get(layer.name), levels.gain(v.name) * gain)
            jobs.append(job)
            layers.append(dict(name=layer.name, intensity=tuple(layer.intensity), fade=layer.fade,
                               gain_db=layer.gain_db, pan=layer.pan, stem=len(jobs) - 1))
        out.append(dict(name=v.name, valence=v.valence, arousal=v.arousal, tags=list(v.tags),
                        intensity=tuple(v.intensity), nominal_intensity=nominal_intensity(v),
                        level_offset_lu=v.level_offset_lu,
                        arousal_follows_intensity=v.arousal_follows_intensity,
                        level_gain_db=round(levels.gain_db(v.name), 6),
                        layers=layers, loudness_windows=_windows(levels, v.name, gain),
                        peak_envelope=envelopes[vi].tolist() if vi < len(envelopes) else None))
    return out


def _windows(levels: Any, variant: str, gain: float) -> list[list[float]] | None:
    """The variant's local loudness table for the stems as shipped (their delivery gain in)."""
    from composer_assist.core.level_windows import pack

    table = levels.windows.get(variant)
    return None if table is None else pack(table, gain)


def _stingers(cue: Cue, render: Any, gain: float, jobs: list[_StemJob], envelopes: dict[str, np.ndarray]
              ) -> list[dict]:
    out = []
    for si, s in enumerate(cue.stingers):
        if s.name not in render.stingers:
            continue
        audio = np.asarray(render.stingers[s.name], dtype=np.float32)
        jobs.append(_StemJob(f"stingers/{slug(si, s.name)}", audio, int(audio.shape[1]),
                             tuple(g * gain for g in layer_gains(s.gain_db, s.pan))))
        env = envelopes.get(s.name)
        out.append(dict(name=s.name, gain_db=s.gain_db, pan=s.pan, stem=len(jobs) - 1,
                        peak_envelope=None if env is None else env.tolist()))
    return out


def _fill(items: list[dict], stems: list[M.Stem]) -> None:
    for item in items:
        for layer in item.get("layers", [item]):
            layer["stem"] = stems[layer["stem"]]


def _listeners(stage: Path, listeners: Any | None) -> M.Listeners | None:
    """Write the profiles and assignment tables (``learn export-profiles`` JSON) as listeners.json."""
    if listeners is None:
        return None
    from composer_assist.core.atomic import dumps_json
    from composer_assist.learn.tables import tables_from_export

    profiles, _ = tables_from_export(listeners, "listener profiles")
    (stage / M.LISTENERS_NAME).write_text(dumps_json(listeners), encoding="utf-8")
    return M.Listeners(path=M.LISTENERS_NAME, clusters=[p.name for p in sorted(profiles, key=lambda p: p.cluster)])


def _scene(stage: Path, trace: Any) -> M.SceneCurve | None:
    """Write the title's scene emotion curve as scene_curve.json (times, valence, arousal only)."""
    if trace is None:
        return None
    from composer_assist.core.atomic import dumps_json
    from composer_assist.runtime.scene import SCENE_CURVE_NAME, scene_curve_json

    data = scene_curve_json(trace)
    (stage / SCENE_CURVE_NAME).write_text(dumps_json(data), encoding="utf-8")
    return M.SceneCurve(path=SCENE_CURVE_NAME, seconds=data["times"][-1], samples=len(data["times"]))


WEB_FOLDER = "web"  # the web player's files inside a package exported with ``web``


def default_web_player() -> Path | None:
    """The static web player beside the package source (the repository's ``player/``), if present."""
    folder = Path(__file__).resolve().parents[2] / "player"
    return folder if (folder / "index.html").is_file() else None


def _copy_web_player(stage: Path, source: Path | None) -> None:
    """Copy the page's plain files into ``web/`` (no links, no hidden files), to be checksummed like stems."""
    if source is None:
        return
    for p in sorted(source.rglob("*")):
        rel = p.relative_to(source)
        if p.is_symlink() or not p.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        dst = stage / WEB_FOLDER / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dst)


def export_package(project: Project, cue_name: str, out: str | os.PathLike, *, zip: bool = False, web: bool = False,
                   render: Any = None, listeners: Any | None = None, config: PolicyConfig | None = None,
                   jobs: int = 2, use_cache: bool = True, web_player: Path | None = None,
                   progress: Callable[[int, int], None] | None = None, scene_curve: Any = None) -> ExportResult:
    """Export ``cue_name`` to ``out`` (a folder, or a zip file with ``zip``); see the module docstring.

    ``render`` defaults to ``render_cue(project, cue_name)`` (stems from the cache when unchanged);
    ``listeners`` is the JSON of ``learn export-profiles`` (profiles plus assignment tables);
    with ``web``, the files of ``web_player`` (a folder holding the static page) go to ``web/``;
    ``scene_curve`` a Trace of the title's scene emotion (``runtime.scene``).
    """
    t_start = time.perf_counter()
    try:
        cue = project.cue(cue_name)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    out = Path(out)
    stage = staging_dir(out, zip)
    try:
        if web:
            _copy_web_player(stage, web_player)
        result = _build(project, cue, stage, out, zip, web, render, listeners, config, jobs, use_cache, progress,
                        scene_curve)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    result.seconds = time.perf_counter() - t_start
    return result


def _rows(render) -> dict[str, float] | None:
    """The render's intensity peaks, kept with its level match (a render from ``render_cue``)."""
    return render.intensity_peaks() if hasattr(render, "intensity_peaks") else None


def _build(project, cue, stage, out, zip, web, render, listeners, config, jobs, use_cache, progress,
           scene_curve=None) -> ExportResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if render is None:
        from composer_assist.audio.render import render_cue

        render = render_cue(project, cue.name, jobs=jobs, use_cache=use_cache)
    timings["render_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    levels = render.level_match()
    loudness = render_delivery(cue, render.stems, levels, _rows(render))
    loudness.window_hop = levels.window_hop
    envelopes = _peak_envelopes(render)
    loudness.peak_block = envelopes[0]
    timings["levels_s"] = time.perf_counter() - t0
    gain = db_to_gain(loudness.delivery_gain_db)
    stem_jobs: list[_StemJob] = []
    variants = _variants(cue, render, levels, gain, stem_jobs, envelopes[1])
    stingers = _stingers(cue, render, gain, stem_jobs, envelopes[2])
    t0 = time.perf_counter()
    stems, entries = _encode_all(stage, stem_jobs, render.sample_rate, web, jobs, progress)
    timings["encode_s"] = time.perf_counter() - t0
    _fill(variants, stems)
    _fill(stingers, stems)
    clock = CueClock(cue, render.sample_rate, render.length)
    info, loop, markers = cue_part(cue, clock)
    rules, table = transitions_part(cue, clock)
    people = _listeners(stage, listeners)
    scene = _scene(stage, scene_curve)
    (stage / M.SCHEMA_NAME).write_text(M.schema_json(), encoding="utf-8")
    t0 = time.perf_counter()
    members = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    files = [entries[rel] if rel in entries else file_entry(stage, rel) for rel in members]
    timings["checksums_s"] = time.perf_counter() - t0
    manifest = M.Manifest(generator=f"composer-assist {__version__}", sample_rate=render.sample_rate, cue=info,
                          loop=loop, markers=markers, variants=variants, rules=rules, transitions=table,
                          stingers=stingers, adaptive=adaptive_part(cue, config), loudness=loudness,
                          listeners=people, scene_curve=scene, files=files)
    (stage / M.MANIFEST_NAME).write_text(M.manifest_json(manifest), encoding="utf-8")
    size = sum(f.size for f in files) + (stage / M.MANIFEST_NAME).stat().st_size
    t0 = time.perf_counter()
    if zip:
        write_zip(stage, out, [M.MANIFEST_NAME, *members])
        shutil.rmtree(stage, ignore_errors=True)
    else:
        publish_folder(stage, out)
    timings["publish_s"] = time.perf_counter() - t0
    return ExportResult(out, manifest, 0.0, size, timings)


def _encode_all(stage: Path, jobs: list[_StemJob], sample_rate: int, web: bool, workers: int,
                progress: Callable[[int, int], None] | None) -> tuple[list[M.Stem], dict[str, M.FileEntry]]:
    """Encode every stem on ``workers`` threads (FLAC and ffmpeg release the GIL), in a fixed order;
    the stems and the file entries (size, SHA-256) of the files written, by path."""
    done = 0
    entries: dict[str, M.FileEntry] = {}
    with ThreadPoolExecutor(max(1, workers)) as pool:
        futures = [pool.submit(_encode, stage, j, sample_rate, web) for j in jobs]
        out = []
        for f in futures:
            stem, files = f.result()
            out.append(stem)
            entries.update((e.path, e) for e in files)
            done += 1
            if progress is not None:
                progress(done, len(jobs))
    return out, entries
