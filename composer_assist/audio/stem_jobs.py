"""Job specs for the workers: one per stem (a layer of a variant, or a stinger), with its cache key,
tail allowance and the notes its instrument would not sound."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from composer_assist.core.errors import PluginError
from composer_assist.core.plugins.meta import faust_meta, note_ranges, playable_notes, silent_notes
from composer_assist.core.plugins.paths import resolve_plugin
from composer_assist.core.project import Cue, Layer, PluginRef
from composer_assist.core.project.plugin_check import check_params

from . import stem_cache
from .cue_render import STINGER

BLOCK_SIZE = 512
TAIL_MARGIN_S = 0.5  # allowance beyond a chain's last measured tail
VST_RELEASE_S = 2.0  # tail allowance for a VST instrument (its release time is not exposed)
VST_EFFECT_TAIL_S = 6.0  # ... and for a VST effect (reverbs, delays)
MAX_TAIL_S = 12.0


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
        spec["state"] = str(state)
        fp["state"] = hashlib.sha256(data).hexdigest()
    return spec, fp, tail


@dataclass
class Stem:
    """One stem to render: its job spec and where its result goes."""

    variant: str
    layer: Layer
    key: str
    spec: dict
    length: int
    plugins: str
    chain_key: str  # the chain without its notes: where its measured tail length is remembered
    warning: str | None = None
    exit: bool = False  # the layer played up to the loop end and let ring: its post-exit tail


def plan_stem(cue: Cue, variant: str, layer: Layer, sr: int, project_dir: Path | None,
              length: int | None, end_beat: float | None = None) -> Stem:
    """The stem of one layer (``length`` samples), or of a stinger (``variant`` STINGER, ``length`` None: its notes).

    With ``end_beat`` (a loop end inside the cue): the layer's notes up to that beat, each note
    sounding there released at it, rendered to ``length`` (the loop end) plus its tail: what
    rings on when playback leaves the loop end for the loop start (the post-exit tail)."""
    where = (f"cue {cue.name!r} stinger {layer.name!r}" if variant == STINGER
             else f"cue {cue.name!r} variant {variant!r} layer {layer.name!r}")
    chain, fps, tail_s = [], [], 0.0
    gapless = True  # whether the chain's tail only dies away (no echo that comes back after silence)
    for i, ref in enumerate([layer.instrument] + list(layer.effects)):
        spec, fp, tail = _plugin_spec(ref, "instrument" if i == 0 else "effect", project_dir,
                                      f"{where} {'instrument' if i == 0 else f'effect {i}'}")
        chain.append(spec)
        fps.append(fp)
        tail_s += tail
        if i > 0:
            gapless = gapless and spec["kind"] == "faust" and bool(faust_meta(Path(spec["path"])).get("gapless_tail"))
    tempo = cue.tempo
    notes = []
    too_short = []
    last_off = 0
    end = cue.length_beats if end_beat is None else end_beat
    for n in layer.notes():
        if length is not None and n.start >= end:
            continue  # starts after the cue end (or the loop end): it would only sound in the tail
        # DawDreamer floors seconds to samples while the tempo grid (sample_at) rounds: aim at the
        # middle of the intended sample so floor() lands on it whatever the float error.
        on = tempo.sample_at(n.start, sr)
        stop = n.start + n.duration if end_beat is None else min(n.start + n.duration, end_beat)
        off = tempo.sample_at(stop, sr)
        if off <= on:  # shorter than a sample once on the grid: DawDreamer refuses it (and it is silent)
            if end_beat is None:
                too_short.append(n)
            continue
        last_off = max(last_off, off)
        notes.append([round((on + 0.5) / sr, 9), round((off - on) / sr, 9), n.pitch, n.velocity])
    if length is None:  # a stinger: as long as its notes
        length = last_off
    tail_full = int(round(min(MAX_TAIL_S, tail_s) * sr))
    # The same chain (plugins, parameters, state) rings for about as long whatever the notes, so
    # render only what it measured last time plus a margin; the worker renders again with the full
    # allowance if the tail still sounds at the end.  Not for a chain with an effect that may fall
    # silent and sound again (a delay's echo, any VST effect): its early silence proves nothing.
    chain_key = stem_cache.stem_key({"chain": fps, "sample_rate": sr, "block_size": BLOCK_SIZE})
    hint = stem_cache.tail_hint(chain_key) if gapless else None
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
    if too_short:
        first = too_short[0]
        dropped = (f"{where}: {len(too_short)} note{'s' if len(too_short) > 1 else ''} shorter than one sample "
                   f"left out (the first: pitch {first.pitch} at beat {first.start:g}, {first.duration:g} beats)")
        warning = dropped if warning is None else f"{warning}; {dropped}"
    return Stem(variant, layer, key, spec, length, plugins, chain_key, warning, exit=end_beat is not None)


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


def job_timeout(spec: dict) -> float:
    """Seconds a render job may take before it counts as hung."""
    # Anything slower than a third of real time (plus loading) is treated as hung.
    # Worst case: a hinted render, then a second one with the full tail allowance.
    frames = 2 * spec["length"] + spec["tail_max"] + spec.get("tail_full", spec["tail_max"])
    return 60.0 + 3.0 * frames / spec["sample_rate"]
