"""The runtime's check of a manifest, the same as ``validate``'s, without pydantic.

The manifest is the one file of a package without a checksum: a hand edit reaches the runtime.
``check_manifest`` holds it to the manifest's JSON Schema (``manifest_schema.SCHEMA``, generated
from the pydantic models ``validate`` checks with, so both refuse the same values) and to what a
schema cannot say (``check_consistency``: names that must exist or differ, ranges in order, the
tempo map, stem lengths), which ``validate`` calls too.  Every complaint is one line naming the
field: ``PKG: manifest.json: variants[0].layers[1].fade: 2 is outside [0, 1]``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import numpy as np

from composer_assist.core.errors import PackageError
from composer_assist.core.project.model import METER_DENOMINATORS
from composer_assist.core.timing import Meter

from .format import MANIFEST_NAME
from .manifest_schema import SCHEMA
from .source import check_member_name

Fail = Callable[..., PackageError]  # (message, member) -> the error to raise, as PackageSource.fail
_TYPES = {"object": (dict,), "array": (list,), "string": (str,), "integer": (int,), "number": (int, float),
          "boolean": (bool,), "null": (type(None),)}
_FAST_LIST = 64  # a list of plain numbers longer than this is checked in one numpy pass


def check_manifest(m: Any, fail: Fail) -> None:
    """Refuse a manifest ``validate`` would refuse (the files' checksums and stems aside)."""
    _Schema(fail).check(m, SCHEMA, "")
    check_consistency(m, fail)


class _Schema:
    """The subset of JSON Schema pydantic writes for the manifest's models."""

    def __init__(self, fail: Fail) -> None:
        self.fail = fail

    def refuse(self, where: str, message: str) -> PackageError:
        return self.fail(f"{where or '(top level)'}: {message}", MANIFEST_NAME)

    def check(self, value: Any, schema: dict[str, Any], where: str) -> None:
        schema = _resolve(schema)
        if "anyOf" in schema:
            return self._any_of(value, schema["anyOf"], where)
        kind = schema.get("type")
        if kind is not None and not _is(value, kind):
            raise self.refuse(where, f"expected {_NAMES[kind]}, got {_what(value)}")
        if "const" in schema and value != schema["const"]:
            raise self.refuse(where, f"{_what(value)} is not {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            raise self.refuse(where, f"{_what(value)} is not one of {', '.join(map(str, schema['enum']))}")
        if kind in ("number", "integer"):
            self._number(value, schema, where)
        elif kind == "string" and "pattern" in schema and not re.search(schema["pattern"], value):
            raise self.refuse(where, f"{_what(value)} does not match {schema['pattern']}")
        elif kind == "array":
            self._array(value, schema, where)
        elif kind == "object":
            self._object(value, schema, where)

    def _any_of(self, value: Any, options: list[dict[str, Any]], where: str) -> None:
        errors = []
        for option in options:
            try:
                return self.check(value, option, where)
            except PackageError as exc:
                errors.append((option, exc))
        # the complaint of the option of the value's own type says most ("2 is outside [0, 1]")
        same = [exc for option, exc in errors if _is(value, _resolve(option).get("type", ""))]
        raise (same or [errors[0][1]])[0]

    def _number(self, value: float, schema: dict[str, Any], where: str) -> None:
        if not math.isfinite(value):  # the reader refuses these; a manifest made in code may hold one
            raise self.refuse(where, f"{value} is not a finite number")
        lo_open = "exclusiveMinimum" in schema
        lo = schema.get("exclusiveMinimum", schema.get("minimum"))
        hi = schema.get("maximum")
        if lo is not None and (value < lo or (lo_open and value == lo)) or hi is not None and value > hi:
            raise self.refuse(where, f"{_fmt(value)} {_range(lo, hi, lo_open)}")

    def _array(self, value: list, schema: dict[str, Any], where: str) -> None:
        n, lo, hi = len(value), schema.get("minItems", 0), schema.get("maxItems")
        if n < lo or (hi is not None and n > hi):
            want = f"exactly {lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            raise self.refuse(where, f"{n} items, expected {want}")
        for i, (item, sub) in enumerate(zip(value, schema.get("prefixItems", []))):
            self.check(item, sub, f"{where}[{i}]")
        items = schema.get("items")
        if items is None:
            return
        if n > _FAST_LIST and _plain_numbers(value, _resolve(items)):
            return
        for i, item in enumerate(value):
            self.check(item, items, f"{where}[{i}]")

    def _object(self, value: dict, schema: dict[str, Any], where: str) -> None:
        props = schema.get("properties", {})
        at = (lambda k: f"{where}.{k}") if where else (lambda k: k)
        for key in schema.get("required", []):
            if key not in value:
                raise self.refuse(at(key), "is required but missing")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                self.check(item, props[key], at(key))
            elif extra is False:
                raise self.refuse(at(key), f"unknown field (known: {', '.join(sorted(props))})")
            elif isinstance(extra, dict):
                self.check(item, extra, at(key))


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return SCHEMA["$defs"][ref.rsplit("/", 1)[1]] if ref else schema


def _is(value: Any, kind: str) -> bool:
    """``value`` is of JSON type ``kind`` (true is no number, 5.0 no whole number, as pydantic's strict mode)."""
    if isinstance(value, bool):
        return kind == "boolean"
    return isinstance(value, _TYPES.get(kind, ()))


def _plain_numbers(values: list, schema: dict[str, Any]) -> bool:
    """Whether a long list of numbers passes ``schema`` (a number with bounds), in one pass; False
    sends the caller item by item, to name the first bad one."""
    if schema.get("type") != "number" or set(schema) - {"type", "minimum", "maximum"}:
        return False
    if not all(type(x) is float or type(x) is int for x in values):
        return False
    a = np.asarray(values, dtype=np.float64)
    lo, hi = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
    return bool(np.all(np.isfinite(a)) and a.min() >= lo and a.max() <= hi)


_NAMES = {"object": "an object", "array": "a list", "string": "a string", "integer": "a whole number",
          "number": "a number", "boolean": "true or false", "null": "null"}


def _what(v: Any) -> str:
    if v is None or isinstance(v, bool):
        return "null" if v is None else "true/false"
    if isinstance(v, (int, float, str)):
        return _fmt(v) if not isinstance(v, str) else (repr(v) if len(v) < 40 else "a string")
    return "a list" if isinstance(v, list) else "an object"


def _fmt(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range(lo: float | None, hi: float | None, lo_open: bool) -> str:
    if hi is None:
        return f"must be {'>' if lo_open else '>='} {_fmt(lo)}"
    if lo is None:
        return f"must be <= {_fmt(hi)}"
    return f"is outside {'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}]"


# ---- what a schema cannot say --------------------------------------------------------------------
def check_consistency(m: dict[str, Any], fail: Fail) -> None:
    """The parts of a (schema-valid) manifest that must agree with each other."""
    _check_files(m, fail)
    _check_names(m, fail)
    _check_timeline(m, fail)
    _check_ranges(m, fail)
    _check_rules(m, fail)
    _check_transitions(m, fail)
    _check_stems(m, fail)
    _check_envelopes(m, fail)
    _check_windows(m, fail)
    calibration = m["adaptive"].get("calibration") or {}
    if not isinstance(calibration.get("enabled", False), bool):
        raise fail(f"adaptive.calibration.enabled: expected true or false, got {_what(calibration['enabled'])}",
                   MANIFEST_NAME)


def referenced_paths(m: dict[str, Any]) -> list[str]:
    """Every file path the manifest refers to (stems, stingers, listeners, scene curve)."""
    stems = [layer["stem"] for v in m["variants"] for layer in v["layers"]] + [s["stem"] for s in m["stingers"]]
    out = [s[codec]["path"] for s in stems for codec in ("flac", "opus") if s.get(codec) is not None]
    return out + [m[k]["path"] for k in ("listeners", "scene_curve") if m.get(k) is not None]


def _check_files(m: dict[str, Any], fail: Fail) -> None:
    listed = {f["path"] for f in m["files"]}
    for rel in referenced_paths(m):
        why = check_member_name(rel)
        if why:
            raise fail(why, rel)
        if rel not in listed:
            raise fail("referenced by the manifest but not listed in its files", rel)


def _check_names(m: dict[str, Any], fail: Fail) -> None:
    groups = [("variants", m["variants"]), ("stingers", m["stingers"]), ("markers", m["markers"])]
    groups += [(f"variants[{i}].layers", v["layers"]) for i, v in enumerate(m["variants"])]
    for where, items in groups:
        names = [x["name"] for x in items]
        if len(set(names)) != len(names):
            raise fail(f"{where}: two {where.rsplit('.', 1)[-1].split('[')[0]} share a name", MANIFEST_NAME)


def _check_timeline(m: dict[str, Any], fail: Fail) -> None:
    cue = m["cue"]
    if cue["meter"]["denominator"] not in METER_DENOMINATORS:
        raise fail(f"cue.meter.denominator: {cue['meter']['denominator']} is not one of "
                   f"{', '.join(map(str, METER_DENOMINATORS))}", MANIFEST_NAME)
    beats = [p["beat"] for p in cue["tempo"]]
    if beats[0] != 0:
        raise fail(f"cue.tempo[0].beat: {_fmt(beats[0])}, but the first tempo point is at beat 0", MANIFEST_NAME)
    for i in range(1, len(beats)):
        if beats[i] <= beats[i - 1]:
            raise fail(f"cue.tempo[{i}].beat: {_fmt(beats[i])}, not after the point before it", MANIFEST_NAME)
    length = cue["length_bars"] * Meter(cue["meter"]["numerator"], cue["meter"]["denominator"]).beats_per_bar
    if not math.isclose(cue["length_beats"], length, rel_tol=1e-9):
        raise fail(f"cue.length_beats: {_fmt(cue['length_beats'])}, but {cue['length_bars']} bars of "
                   f"{cue['meter']['numerator']}/{cue['meter']['denominator']} are {_fmt(length)} beats", MANIFEST_NAME)
    loop = m["loop"]
    if not 0 <= loop["start_beat"] < loop["end_beat"] <= length:
        raise fail(f"loop: beats {_fmt(loop['start_beat'])} to {_fmt(loop['end_beat'])} are not a region of the "
                   f"cue's {_fmt(length)} beats", MANIFEST_NAME)
    for i, k in enumerate(m["markers"]):
        if k["beat"] > length:
            raise fail(f"markers[{i}].beat: {_fmt(k['beat'])} is past the cue's end ({_fmt(length)} beats)",
                       MANIFEST_NAME)


def _check_ranges(m: dict[str, Any], fail: Fail) -> None:
    for i, v in enumerate(m["variants"]):
        items = [(f"variants[{i}].intensity", v["intensity"])]
        items += [(f"variants[{i}].layers[{j}].intensity", layer["intensity"]) for j, layer in enumerate(v["layers"])]
        for where, (lo, hi) in items:
            if lo > hi:
                raise fail(f"{where}: [{_fmt(lo)}, {_fmt(hi)}] runs backwards", MANIFEST_NAME)


def _check_rules(m: dict[str, Any], fail: Fail) -> None:
    names = {v["name"] for v in m["variants"]} | {"*"}
    stingers = {s["name"] for s in m["stingers"]}
    markers = {k["name"] for k in m["markers"]}
    for i, r in enumerate(m["rules"]):
        for side in ("source", "target"):
            if r[side] not in names:
                raise fail(f"rules[{i}].{side}: no variant {r[side]!r}", MANIFEST_NAME)
        if r.get("stinger") is not None and r["stinger"] not in stingers:
            raise fail(f"rules[{i}].stinger: no stinger {r['stinger']!r}", MANIFEST_NAME)
        for key in ("leave_marker", "enter_marker"):
            if r.get(key) is not None and r[key] not in markers:
                raise fail(f"rules[{i}].{key}: no marker {r[key]!r}", MANIFEST_NAME)


def _check_transitions(m: dict[str, Any], fail: Fail) -> None:
    names = {v["name"] for v in m["variants"]}
    stingers = {s["name"] for s in m["stingers"]}
    for i, t in enumerate(m["transitions"]):
        for side in ("source", "target"):
            if t[side] not in names:
                raise fail(f"transitions[{i}].{side}: no variant {t[side]!r}", MANIFEST_NAME)
        if not t["rule"] < len(m["rules"]):
            raise fail(f"transitions[{i}].rule: {t['rule']}, but there are {len(m['rules'])} rules", MANIFEST_NAME)
        if t.get("stinger") is not None and t["stinger"] not in stingers:
            raise fail(f"transitions[{i}].stinger: no stinger {t['stinger']!r}", MANIFEST_NAME)


def _check_stems(m: dict[str, Any], fail: Fail) -> None:
    want = m["cue"]["length_samples"]
    for vi, v in enumerate(m["variants"]):
        for li, layer in enumerate(v["layers"]):
            if layer["stem"]["frames"] != want:
                raise fail(f"variants[{vi}].layers[{li}].stem.frames: {layer['stem']['frames']}, but the cue is "
                           f"{want} samples", MANIFEST_NAME)


def _check_envelopes(m: dict[str, Any], fail: Fail) -> None:
    block = m["loudness"].get("peak_block", 0)
    for i, v in enumerate(m["variants"]):
        want = -(-m["cue"]["length_samples"] // block) if block else 0
        if v.get("peak_envelope") is not None and len(v["peak_envelope"]) != want:
            raise fail(f"variants[{i}].peak_envelope: {len(v['peak_envelope'])} values, expected {want} "
                       f"(one per loudness.peak_block = {block} samples of the cue)", MANIFEST_NAME)
    for i, st in enumerate(m["stingers"]):
        frames = st["stem"]["frames"] + st["stem"].get("tail_frames", 0)
        want = max(1, -(-frames // block)) if block else 0
        if st.get("peak_envelope") is not None and len(st["peak_envelope"]) != want:
            raise fail(f"stingers[{i}].peak_envelope: {len(st['peak_envelope'])} values, expected {want} "
                       f"(one per loudness.peak_block = {block} samples of the stinger)", MANIFEST_NAME)


def _check_windows(m: dict[str, Any], fail: Fail) -> None:
    """Each local loudness table's rows hold the upper triangle of its layers' products (``core.level_windows``)."""
    for i, v in enumerate(m["variants"]):
        n = len(v["layers"])
        for j, row in enumerate(v.get("loudness_windows") or []):
            if len(row) != n * (n + 1) // 2:
                raise fail(f"variants[{i}].loudness_windows[{j}]: {len(row)} values, expected {n * (n + 1) // 2} "
                           f"(the upper triangle of {n} layers' products)", MANIFEST_NAME)
