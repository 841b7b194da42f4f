"""Rendering cues: one stem per layer of each variant (plus stingers) and mixdowns.

Each stem is one chain — instrument, then effects in order — rendered by a worker process (see
``workers``) in a single DawDreamer render call, at the project sample rate, float32 stereo,
exactly ``cue.length_samples(sr)`` long.  Whatever rings on past the cue end (release, reverb)
is measured by rendering past it and trimming at -80 dBFS, and kept apart as the stem's *tail*.
Stems are raw chain output; a layer's gain and pan apply in the mixdown (``core.mixmath``).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from composer_assist.core.errors import PluginError, ProjectError, RenderError
from composer_assist.core.mixmath import layer_gains
from composer_assist.core.project import Cue, Layer, PluginRef, Project, check_plugins
from composer_assist.core.project.plugin_check import check_params
from composer_assist.core.plugins.paths import resolve_plugin

from . import stem_cache
from composer_assist.core.plugins.meta import faust_meta, note_ranges, playable_notes, silent_notes
from .wavio import write_wav

BLOCK_SIZE = 512
TAIL_MARGIN_S = 0.5  # allowance beyond a chain's last measured tail
VST_RELEASE_S = 2.0  # tail allowance for a VST instrument (its release time is not exposed)
VST_EFFECT_TAIL_S = 6.0  # ... and for a VST effect (reverbs, delays)
MAX_TAIL_S = 12.0
STINGER = "(stinger)"  # the ``variant`` of a stinger's StemStats


@dataclass
class StemStats:
    variant: str
    layer: str
    seconds: float  # audio rendered (body + tail allowance)
    wall: float  # seconds the worker spent on it (load, compile, render, save)
    realtime: float  # seconds / wall: render speed as a multiple of real time
    cached: bool


@dataclass
class StemError:
    variant: str
    layer: str
    plugins: str
    message: str
    kind: str = "crash"  # PluginError (bad name, value, file), crash, timeout

    def __str__(self) -> str:
        where = f"stinger {self.layer!r}" if self.variant == STINGER else f"variant {self.variant!r} layer {self.layer!r}"
        return f"{where} ({self.plugins}): {self.message}"


@dataclass
class CueRender:
    cue: Cue
    sample_rate: int
    length: int  # samples of the cue body
    stems: dict[str, dict[str, np.ndarray]]  # variant -> layer -> float32 (2, length)
    tails: dict[str, dict[str, np.ndarray]]  # variant -> layer -> float32 (2, tail_len)
    stingers: dict[str, np.ndarray]  # stinger name -> float32 (2, n) one-shot including its tail
    stats: list[StemStats]
    errors: list[StemError] = field(default_factory=list)  # only with keep_going=True
    wall: float = 0.0  # whole render_cue call
    warnings: list[str] = field(default_factory=list)  # e.g. notes the instrument does not sound

    @property
    def cached_stems(self) -> list[tuple[str, str]]:
        return [(s.variant, s.layer) for s in self.stats if s.cached]

    def failed_layers(self, variant: str) -> list[str]:
        """Layers of ``variant`` that failed to render (then it has no mixdown)."""
        return [e.layer for e in self.errors if e.variant == variant]


# ---------------------------------------------------------------------------------------------
# Job specs


def _plugin_spec(ref: PluginRef, role: str, project_dir: Path | None, where: str) -> tuple[dict, dict, float]:
    """(job entry, cache fingerprint, tail allowance in s) for one plugin of a chain."""
    try:
        res = resolve_plugin(ref.plugin, project_dir)
    except PluginError as exc:
        raise PluginError(f"{where}: {exc}") from None
    path = res.path
    if res.kind == "vst2" and path.is_dir():  # a Linux .vst bundle folder: load the .so inside
        inner = sorted(path.glob("*.so"))
        if not inner:
            raise PluginError(f"{where}: plugin {ref.plugin!r}: no .so inside {path}")
        path = inner[0]
    fp: dict = {"plugin": stem_cache.file_fingerprint(path), "role": role,
                "params": {k: float(v) for k, v in sorted(ref.params.items())}}
    spec = {"path": str(path), "kind": res.kind, "role": role, "params": dict(ref.params),
            "label": Path(ref.plugin).name}
    if res.kind == "faust":
        try:
            meta = faust_meta(path)
        except PluginError as exc:
            raise PluginError(f"{where}: {exc}") from None
        fp.update(stem_cache.faust_fingerprint(path))
        tail = float(meta.get("release_s", 0.5))
        try:
            check_params(ref, res)  # render_cue checked the project; this guards direct callers
        except PluginError as exc:
            raise PluginError(f"{where}: plugin {ref.plugin}: {exc}") from None
    else:
        tail = VST_RELEASE_S if role == "instrument" else VST_EFFECT_TAIL_S
    if ref.state:
        state = Path(ref.state)
        if not state.is_absolute():
            if project_dir is None:
                raise PluginError(f"{where}: state file {ref.state!r} is relative but the project has no folder")
            state = project_dir / state
        try:
            data = state.read_bytes()
        except OSError:
            raise PluginError(f"{where}: state file {state} not found") from None
        import hashlib

        spec["state"] = str(state)
        fp["state"] = hashlib.sha256(data).hexdigest()
    return spec, fp, tail


@dataclass
class _Stem:
    variant: str
    layer: Layer
    key: str
    spec: dict
    length: int
    plugins: str
    chain_key: str  # the chain without its notes: where its measured tail length is remembered
    warning: str | None = None


def _stem(cue: Cue, variant: str, layer: Layer, sr: int, project_dir: Path | None,
          length: int | None) -> _Stem:
    where = (f"cue {cue.name!r} stinger {layer.name!r}" if variant == STINGER
             else f"cue {cue.name!r} variant {variant!r} layer {layer.name!r}")
    chain, fps, tail_s = [], [], 0.0
    for i, ref in enumerate([layer.instrument] + list(layer.effects)):
        spec, fp, tail = _plugin_spec(ref, "instrument" if i == 0 else "effect", project_dir,
                                      f"{where} {'instrument' if i == 0 else f'effect {i}'}")
        chain.append(spec)
        fps.append(fp)
        tail_s += tail
    tempo = cue.tempo
    notes = []
    last_off = 0
    for n in layer.notes():
        if length is not None and n.start >= cue.length_beats:
            continue  # starts after the cue end: it would only sound in the tail
        # DawDreamer floors seconds to samples while the tempo grid (sample_at) rounds: aim at the
        # middle of the intended sample so floor() lands on it whatever the float error.
        on = tempo.sample_at(n.start, sr)
        off = max(on, tempo.sample_at(n.start + n.duration, sr))
        last_off = max(last_off, off)
        notes.append([round((on + 0.5) / sr, 9), round((off - on) / sr, 9), n.pitch, n.velocity])
    if length is None:  # a stinger: as long as its notes
        length = last_off
    tail_full = int(round(min(MAX_TAIL_S, tail_s) * sr))
    # The same chain (plugins, parameters, state) rings for about as long whatever the notes, so
    # render only what it measured last time plus a margin; the worker renders again with the full
    # allowance if the tail still sounds at the end.
    chain_key = stem_cache.stem_key({"chain": fps, "sample_rate": sr, "block_size": BLOCK_SIZE})
    hint = stem_cache.tail_hint(chain_key)
    tail_max = tail_full if hint is None else min(tail_full, hint + max(int(TAIL_MARGIN_S * sr), hint // 4))
    # Stems sharing a Faust dsp go to the worker that has it compiled already.
    affinity = "|".join(p["path"] for p in chain if p["kind"] == "faust") or None
    spec = {"op": "render", "sample_rate": sr, "block_size": BLOCK_SIZE, "chain": chain, "notes": notes,
            "length": length, "tail_max": tail_max, "tail_full": tail_full, "affinity": affinity}
    key = stem_cache.stem_key({"chain": fps, "notes": notes, "tempo": tempo.to_json(), "sample_rate": sr,
                               "block_size": BLOCK_SIZE, "length": length, "tail_max": tail_full})
    plugins = " -> ".join(Path(r.plugin).name for r in [layer.instrument] + list(layer.effects))
    where = f"{cue.name}/{'stingers' if variant == STINGER else variant}/{layer.name}"
    warning = _silent_notes_warning(where, layer.instrument.plugin, chain[0], [n[2] for n in notes])
    return _Stem(variant, layer, key, spec, length, plugins, chain_key, warning)


def _silent_notes_warning(where: str, ref: str, instrument: dict, pitches: list[int]) -> str | None:
    """One line naming the notes of a layer its (Faust) instrument does not sound, per its metadata."""
    if instrument["kind"] != "faust":
        return None  # a VST does not say which notes it sounds
    meta = faust_meta(Path(instrument["path"]))
    silent = silent_notes(meta, pitches)
    if not silent:
        return None
    playable = playable_notes(meta) or frozenset()
    what = "kit" if meta.get("gm_drums") else "range"
    if len(silent) == 1:
        notes, verb = f"note {silent[0]}", "is"
    else:
        notes, verb = f"notes {', '.join(map(str, silent))}", "are"
    return (f"{where}: {notes} {verb} not in the {Path(ref).stem} {what} ({note_ranges(playable)}) "
            f"and {verb} silent")


def _timeout(spec: dict) -> float:
    # Anything slower than a third of real time (plus loading) is treated as hung.
    # Worst case: a hinted render, then a second one with the full tail allowance.
    frames = 2 * spec["length"] + spec["tail_max"] + spec.get("tail_full", spec["tail_max"])
    return 60.0 + 3.0 * frames / spec["sample_rate"]


# ---------------------------------------------------------------------------------------------
# Rendering


def render_cue(project: Project, cue: str, variants: list[str] | None = None, sample_rate: int | None = None,
               jobs: int = 2, use_cache: bool = True, progress: Callable[[int, int], None] | None = None,
               *, keep_going: bool = False, timeout: float | None = None,
               stingers: bool = True) -> CueRender:
    """Render every layer of the chosen variants (all by default) and the cue's stingers.

    Stems come from the cache when nothing that produced them changed.  A plugin that fails,
    crashes or hangs fails its own stem only: the others render, then ``RenderError`` names
    every failed layer and plugin (or, with ``keep_going``, the failures are in ``errors``).
    """
    from .workers import shared_pool

    t_start = time.perf_counter()
    try:
        c = project.cue(cue)
        chosen = [c.variant(v) for v in variants] if variants else list(c.variants)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    check_plugins(project)  # every plugin resolves and every Faust parameter fits, before any work
    sr = int(sample_rate or project.sample_rate)
    if sr not in (44100, 48000):
        raise RenderError(f"sample rate {sr} is not supported (44100 or 48000)")
    length = c.length_samples(sr)
    folder = project.folder
    todo = [_stem(c, v.name, layer, sr, folder, length) for v in chosen for layer in v.layers]
    if stingers:
        todo += [_stem(c, STINGER, s, sr, folder, None) for s in c.stingers]

    arrays: dict[int, np.ndarray] = {}
    stats: dict[int, StemStats] = {}
    jobs_to_run: list[dict] = []
    for i, st in enumerate(todo):
        hit = stem_cache.load_stem(st.key, st.length) if use_cache else None
        if hit is not None:
            arr, meta = hit
            arrays[i] = arr
            secs, wall = float(meta.get("seconds", 0.0)), float(meta.get("wall", 0.0))
            stats[i] = StemStats(st.variant, st.layer.name, secs, wall, secs / wall if wall > 0 else math.inf, True)
        else:
            jobs_to_run.append(dict(st.spec, index=i))

    total, done = len(todo), len(todo) - len(jobs_to_run)
    if progress:
        progress(done, total)
    errors: list[StemError] = []
    tmp = None if use_cache else Path(tempfile.mkdtemp(prefix="ca-render-"))

    def out_path(i: int) -> Path:
        return stem_cache.stem_path(todo[i].key) if tmp is None else tmp / f"{i}.npy"

    for j in jobs_to_run:
        j["out"] = str(out_path(j["index"]))

    def on_result(r) -> None:
        nonlocal done
        i = r.job["index"]
        st = todo[i]
        if r.ok:
            try:
                arr = np.load(r.job["out"], allow_pickle=False)
            except (OSError, ValueError) as exc:
                errors.append(StemError(st.variant, st.layer.name, st.plugins, f"stem file unreadable: {exc}"))
            else:
                arrays[i] = arr
                res = r.result
                stats[i] = StemStats(st.variant, st.layer.name, res["seconds"], res["job_wall"],
                                     res["seconds"] / res["job_wall"] if res["job_wall"] > 0 else math.inf, False)
                if tmp is None:
                    stem_cache.save_meta(st.key, {"seconds": res["seconds"], "wall": res["job_wall"],
                                                  "tail": res["tail"]})
                if st.variant != STINGER:
                    stem_cache.save_tail_hint(st.chain_key, res["tail"])
        else:
            errors.append(StemError(st.variant, st.layer.name, st.plugins, r.error or "failed",
                                    r.error_type or "crash"))
        done += 1
        if progress:
            progress(done, total)

    try:
        if jobs_to_run:
            shared_pool(jobs).run(jobs_to_run, timeout if timeout is not None else _timeout, on_result,
                                  size=max(1, jobs))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    if use_cache and jobs_to_run:
        stem_cache.prune(keep={st.key for st in todo})
    if errors and not keep_going:
        cls = PluginError if all(e.kind == "PluginError" for e in errors) else RenderError
        raise cls(f"cue {c.name!r}: " + "; ".join(str(e) for e in errors))

    stems: dict[str, dict[str, np.ndarray]] = {v.name: {} for v in chosen}
    tails: dict[str, dict[str, np.ndarray]] = {v.name: {} for v in chosen}
    stinger_audio: dict[str, np.ndarray] = {}
    for i, st in enumerate(todo):
        if i not in arrays:
            continue
        arr = arrays[i]
        if st.variant == STINGER:
            stinger_audio[st.layer.name] = arr
        else:
            stems[st.variant][st.layer.name] = arr[:, :length]
            tails[st.variant][st.layer.name] = arr[:, length:]
    return CueRender(c, sr, length, stems, tails, stinger_audio, [stats[i] for i in sorted(stats)], errors,
                     time.perf_counter() - t_start, [st.warning for st in todo if st.warning])


def mixdown(render: CueRender, variant: str, with_tail: bool = False) -> np.ndarray:
    """Sum of a variant's stems with each layer's gain and pan (2, n) float32.

    Raises ``RenderError`` if a layer of the variant failed: a mix without it would pass for
    the real one.
    """
    try:
        v = render.cue.variant(variant)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    failed = render.failed_layers(variant)
    if failed:
        raise RenderError(f"cue {render.cue.name!r} variant {variant!r}: no mixdown, layer "
                          f"{', '.join(map(repr, failed))} failed to render")
    stems = render.stems.get(variant, {})
    tails = render.tails.get(variant, {})
    extra = max((t.shape[1] for t in tails.values()), default=0) if with_tail else 0
    out = np.zeros((2, render.length + extra), dtype=np.float64)
    for layer in v.layers:
        if layer.name not in stems:
            continue
        gl, gr = layer_gains(layer.gain_db, layer.pan)
        audio = stems[layer.name]
        if with_tail and layer.name in tails and tails[layer.name].shape[1]:
            audio = np.concatenate([audio, tails[layer.name]], axis=1)
        out[0, :audio.shape[1]] += gl * audio[0]
        out[1, :audio.shape[1]] += gr * audio[1]
    return out.astype(np.float32)


def _safe(name: str) -> str:
    """A file or folder name for ``name``: no separators, never empty, ``.`` or ``..``."""
    out = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in name).strip()
    if not out.strip("."):  # "", ".", "..": would point at the folder itself or its parent
        out = "_" * max(1, len(out))
    return out


def _layer_file(name: str) -> str:
    """Stem file stem for a layer: never ``mix`` (the mixdown) nor ``*.tail`` (another layer's tail)."""
    out = _safe(name)
    if out.lower() == "mix" or out.lower().endswith(".tail"):
        out += "_layer"
    return out


def cue_folder(name: str) -> str:
    """The folder a cue is written to under the output folder."""
    return _safe(name)


def output_files(render: CueRender, out_dir: Path) -> list[tuple[Path, str, Callable[[], np.ndarray]]]:
    """(path, what it holds, audio) for every file ``write_cue`` writes; names cannot collide or escape.

    Raises ``RenderError`` when two names map to the same file after making them safe.
    """
    root = Path(out_dir).resolve()
    base = Path(out_dir) / cue_folder(render.cue.name)
    planned: list[tuple[Path, str, Callable[[], np.ndarray]]] = []
    for variant, layers in render.stems.items():
        folder = base / _safe(variant)
        for name, audio in layers.items():
            stem = _layer_file(name)
            what = f"variant {variant!r} layer {name!r}"
            planned.append((folder / f"{stem}.wav", what, lambda a=audio: a))
            tail = render.tails.get(variant, {}).get(name)
            if tail is not None and tail.shape[1]:
                planned.append((folder / f"{stem}.tail.wav", f"{what} tail", lambda a=tail: a))
        if not render.failed_layers(variant):  # a mix missing a layer is not written at all
            planned.append((folder / "mix.wav", f"variant {variant!r} mixdown",
                            lambda v=variant: mixdown(render, v)))
    for name, audio in render.stingers.items():
        planned.append((base / "stingers" / f"{_safe(name)}.wav", f"stinger {name!r}", lambda a=audio: a))
    seen: dict[str, str] = {}
    for path, what, _ in planned:
        if not path.resolve().is_relative_to(root):
            raise RenderError(f"cue {render.cue.name!r}: {what} would be written outside {out_dir} ({path})")
        key = str(path.resolve()).casefold()  # case-insensitive file systems collide on case too
        if key in seen:
            raise RenderError(f"cue {render.cue.name!r}: {seen[key]} and {what} would both be written to "
                              f"{path}; rename one of them")
        seen[key] = what
    return planned


def stale_outputs(render: CueRender, out_dir: Path) -> list[Path]:
    """Files an earlier render may have left that this one failed to produce: a failed layer's
    stem and tail, its variant's ``mix.wav``, a failed stinger.  Left in place they would pass for
    this render's output."""
    base = Path(out_dir) / cue_folder(render.cue.name)
    out: list[Path] = []
    for e in render.errors:
        if e.variant == STINGER:
            out.append(base / "stingers" / f"{_safe(e.layer)}.wav")
            continue
        folder = base / _safe(e.variant)
        out += [folder / f"{_layer_file(e.layer)}.wav", folder / f"{_layer_file(e.layer)}.tail.wav",
                folder / "mix.wav"]
    return list(dict.fromkeys(out))


def check_output_names(cue: Cue, variants: list[str] | None, out_dir: Path) -> None:
    """Raise ``RenderError`` now (before rendering) if ``write_cue`` would find clashing names."""
    chosen = [v for v in cue.variants if not variants or v.name in variants]
    blank = np.zeros((2, 1), dtype=np.float32)  # every layer assumed to have a tail: the worst case
    stems = {v.name: {l.name: blank for l in v.layers} for v in chosen}
    dummy = CueRender(cue, 48000, 1, stems, stems, {s.name: blank for s in cue.stingers}, [])
    output_files(dummy, out_dir)


def write_cue(render: CueRender, out_dir: Path) -> list[Path]:
    """Write ``OUT/<cue>/<variant>/<layer>.wav`` (+ ``<layer>.tail.wav``), ``mix.wav`` and stingers.

    A variant with a failed layer gets its other stems but no ``mix.wav``, and files of an
    earlier render that this one failed to produce are removed (see ``stale_outputs``).

    A layer named ``mix`` or ``*.tail`` is written as ``<layer>_layer.wav``; names that still
    collide after making them safe raise ``RenderError`` before anything is written.
    """
    planned = output_files(render, out_dir)
    for path in stale_outputs(render, out_dir):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise RenderError(f"{out_dir}: cannot remove the stale {path}: {exc.strerror or exc}") from None
    written: list[Path] = []
    for path, _, audio in planned:
        try:
            written.append(write_wav(path, audio(), render.sample_rate))
        except OSError as exc:
            raise RenderError(f"{out_dir}: cannot write {path}: {exc.strerror or exc}") from None
    return written
