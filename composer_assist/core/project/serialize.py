"""Writing a project as JSON (the inverse of ``parse``), keeping every ``_`` key it was read with."""

from __future__ import annotations

from typing import Any

from .model import SCHEMA_VERSION, Clip, Layer, PluginRef, Project, TransitionRule, Variant


def _plugin_json(p: PluginRef) -> dict:
    out: dict[str, Any] = {"plugin": p.plugin, **p.extra}
    if p.params:
        out["params"] = dict(p.params)
    if p.state:
        out["state"] = p.state
    return out


def _clip_json(c: Clip) -> dict:
    out: dict[str, Any] = {"start": c.start, **c.extra}
    if c.file is not None:
        out["file"] = c.file
        if c.track is not None:
            out["track"] = c.track
    else:
        out["notes"] = [[round(n.start, 6), round(n.duration, 6), n.pitch, n.velocity] for n in c.notes]
    return out


def layer_to_json(layer: Layer) -> dict:
    out: dict[str, Any] = {"name": layer.name, **layer.extra, "instrument": _plugin_json(layer.instrument)}
    if layer.effects:
        out["effects"] = [_plugin_json(e) for e in layer.effects]
    out.update(gain_db=layer.gain_db, pan=layer.pan, intensity=list(layer.intensity), fade=layer.fade,
               clips=[_clip_json(c) for c in layer.clips])
    return out


def _rule_json(r: TransitionRule) -> dict:
    out: dict[str, Any] = {**r.extra, "from": r.source, "to": r.target, "leave": r.leave}
    if r.leave == "bars":
        out["bars"] = r.bars
    if r.leave_marker:
        out["leave_marker"] = r.leave_marker
    out["enter"] = r.enter
    if r.enter_marker:
        out["enter_marker"] = r.enter_marker
    out.update(fade_beats=r.fade_beats, curve=r.curve)
    if r.stinger:
        out["stinger"] = r.stinger
    return out


def _variant_json(v: Variant) -> dict:
    out: dict[str, Any] = {"name": v.name, **v.extra, "valence": v.valence, "arousal": v.arousal,
                           "tags": list(v.tags), "intensity": list(v.intensity)}
    if v.level_offset_lu:
        out["level_offset_lu"] = v.level_offset_lu
    if v.arousal_follows_intensity:
        out["arousal_follows_intensity"] = True
    out["layers"] = [layer_to_json(l) for l in v.layers]
    return out


def project_to_json(project: Project) -> dict:
    cues = []
    for c in project.cues:
        tempo: Any = c.tempo.initial_bpm if len(c.tempo.points) == 1 else c.tempo.to_json()
        cue: dict[str, Any] = {
            "name": c.name, **c.extra, "tempo": tempo, "meter": str(c.meter),
        }
        if c.key is not None:
            cue["key"] = c.key
        cue["length_bars"] = c.length_bars
        if c.loop is not None:
            cue["loop"] = list(c.loop)
        cue["markers"] = [{"name": m.name, "beat": m.beat, **m.extra} for m in c.markers]
        a = c.adaptive
        cue["adaptive"] = {**a.extra, "dwell_bars": a.dwell_bars, "hysteresis": a.hysteresis,
                           "intensity_slew": a.intensity_slew, "control_rate": a.control_rate,
                           "congruence_radius": a.congruence_radius,
                           "max_switches_per_minute": a.max_switches_per_minute}
        cue["transitions"] = [_rule_json(r) for r in c.transitions]
        if c.stingers:
            cue["stingers"] = [layer_to_json(s) for s in c.stingers]
        cue["variants"] = [_variant_json(v) for v in c.variants]
        cues.append(cue)
    return {"schema_version": SCHEMA_VERSION, **project.extra, "name": project.name,
            "sample_rate": project.sample_rate, "cues": cues}
