"""Loading a plugin into a DawDreamer engine: compiling a Faust dsp, loading a VST, parameters by
name, restoring saved state.  Runs inside a worker process only (see ``host``)."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from composer_assist.core.errors import PluginError
from composer_assist.core.plugins.meta import DEFAULT_RELEASE_S, DEFAULT_VOICES, faust_meta
from composer_assist.core.plugins.paths import faust_sources
from composer_assist.core.suggest import did_you_mean

_libm = None


def reset_fp_env() -> None:
    """Restore the default floating-point environment of this thread.

    A DISTRHO (DPF) VST switches the process to flush-denormals-to-zero; compiling some Faust
    dsps afterwards trips an assertion in Faust's interval library and aborts the process.
    glibc's ``fesetenv(FE_DFL_ENV)`` clears FTZ/DAZ, so call it before every Faust compile.
    """
    global _libm
    if _libm is None:
        _libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
    _libm.fesetenv(ctypes.c_void_p(-1))  # FE_DFL_ENV is ((const fenv_t *) -1) in glibc


def _unknown_param(plugin: str, name: str, valid: list[str]) -> PluginError:
    hint = did_you_mean(name, valid)
    shown = ", ".join(valid[:40]) + (f", ... ({len(valid)} in all)" if len(valid) > 40 else "")
    return PluginError(f"plugin {plugin}: unknown parameter {name!r}; {hint}valid: {shown or 'none'}")


class Loaded:
    """A processor in an engine plus name-based parameter access."""

    def __init__(self, proc: Any, kind: str, label: str, meta: dict | None = None) -> None:
        self.proc = proc
        self.kind = kind  # faust | vst2 | vst3
        self.label = label
        self.meta = meta or {}
        self._desc: list[dict] | None = None

    def describe(self) -> list[dict]:
        if self._desc is None:
            self._desc = list(self.proc.get_parameters_description())
        return self._desc

    def param_names(self) -> list[str]:
        if self.kind == "faust":
            return [_short(d["name"]) for d in self.describe() if _short(d["name"]) not in ("freq", "gain", "gate")]
        return [d["name"] for d in self.describe()]

    def set_param(self, name: str, value: float) -> None:
        """Set by short name: a Faust label (matched by address suffix) or a VST parameter name."""
        if self.kind == "faust":
            hits = [d for d in self.describe() if d["name"] == name or d["name"].endswith("/" + name)]
            if not hits:
                raise _unknown_param(self.label, name, self.param_names())
            for d in hits:  # one per voice group when voices are not grouped
                lo, hi = float(d.get("min", value)), float(d.get("max", value))
                # DawDreamer's ranges are float32: 0.2 comes back as 0.200000003, so a value at a
                # documented range end is compared in float32 (and then kept within the range)
                v32 = float(np.float32(value))
                if not float(np.float32(lo)) <= v32 <= float(np.float32(hi)):
                    raise PluginError(f"plugin {self.label}: parameter {name!r} = {value:g} is outside "
                                      f"{lo:g}..{hi:g}")
                self.proc.set_parameter(d["name"], min(hi, max(lo, float(value))))
            return
        for d in self.describe():
            if d["name"] == name:
                if not 0.0 <= value <= 1.0:
                    raise PluginError(f"plugin {self.label}: parameter {name!r} = {value:g}: VST parameter "
                                      f"values are normalised 0..1")
                self.proc.set_parameter(int(d["index"]), float(value))
                return
        raise _unknown_param(self.label, name, self.param_names())

    def params(self) -> list[dict]:
        """Parameter table: name, value, default, min, max, unit, text; VSTs add ``min_text`` and
        ``max_text``, what the plugin displays at 0 and 1 (its real range, e.g. 20 Hz .. 20 kHz)."""
        if self.kind != "faust":
            return self._vst_params()
        units = {k: v.get("unit", "") for k, v in (self.meta.get("params") or {}).items() if isinstance(v, dict)}
        out = []
        for d in self.describe():
            short = _short(d["name"])
            unit = d.get("label", "") if d.get("label") != short else ""
            # A freshly compiled dsp holds its sliders' initial values: current and default.
            out.append({"name": short, "address": d["name"], "value": float(d.get("value", 0.0)),
                        "default": float(d.get("value", 0.0)), "min": float(d.get("min", 0.0)),
                        "max": float(d.get("max", 0.0)), "unit": units.get(short, unit), "text": ""})
        return out

    def _vst_params(self) -> list[dict]:
        desc = self.describe()
        # Current values and texts first: sweeping one parameter may move others (presets).
        out = [{"name": d["name"], "value": float(self.proc.get_parameter(int(d["index"]))), "min": 0.0,
                "max": 1.0, "unit": d.get("label", ""), "text": str(d.get("currentValText", ""))} for d in desc]
        for d, p in zip(desc, out):
            # VST2 does not report defaults (DawDreamer says 0): a fresh instance's value is it.
            p["default"] = p["value"]
            idx = int(d["index"])
            try:
                self.proc.set_parameter(idx, 0.0)
                low = str(self.proc.get_parameter_text(idx))
                self.proc.set_parameter(idx, 1.0)
                p["min_text"], p["max_text"] = low, str(self.proc.get_parameter_text(idx))
                self.proc.set_parameter(idx, p["value"])
            except Exception:  # a plugin refusing the extremes is still listed, without its range text
                pass
        return out


def _short(address: str) -> str:
    return address.rsplit("/", 1)[-1]


def load_faust(engine: Any, name: str, dsp: Path, role: str) -> Loaded:
    """Compile a Faust dsp (polyphonic when it is an instrument)."""
    meta = faust_meta(dsp)
    if role == "instrument" and meta["kind"] != "instrument":
        raise PluginError(f"plugin {dsp.name}: is an effect, not an instrument (see {dsp.with_suffix('.json').name})")
    if role == "effect" and meta["kind"] != "effect":
        side = dsp.with_suffix(".json")
        raise PluginError(f"plugin {dsp.name}: is an instrument, not an effect" + (
            "" if side.exists() else f" (there is no {side.name} beside it: a Faust dsp without metadata is "
                                     f"taken for an instrument)"))
    try:
        code = dsp.read_text(encoding="utf-8")
    except OSError as exc:
        raise PluginError(f"plugin {dsp}: cannot read: {exc}") from None
    # libfaust caches compiled factories by the source text: without this a dsp whose .lib
    # beside it changed would compile to the old code for the life of the worker.
    code += f"\n// libs: {_libs_hash(dsp)}\n"
    proc = engine.make_faust_processor(name)
    proc.faust_libraries_path = str(dsp.parent)  # lets a dsp import helpers beside it
    if meta["kind"] == "instrument":
        proc.num_voices = int(meta.get("voices", DEFAULT_VOICES))
        proc.group_voices = True
        proc.release_length = float(meta.get("release_s", DEFAULT_RELEASE_S))
    reset_fp_env()
    try:
        proc.set_dsp_string(code)
        ok = proc.compile()
        why = ""
    except Exception as exc:  # DawDreamer raises RuntimeError with Faust's message
        ok, why = False, ": " + _faust_message(str(exc), dsp)
    if not ok:
        # An uncompiled processor left in the engine would fail every later render in it.
        engine.remove_processor(name)
        raise PluginError(f"plugin {dsp}: Faust compile failed{why}")
    return Loaded(proc, "faust", dsp.name, meta)


FAUST_PREAMBLE_LINES = 3  # DawDreamer compiles a dsp string after lines of its own


def _faust_message(text: str, dsp: Path) -> str:
    """Faust's error as the composer needs it: at ``NAME.dsp:LINE`` of their file (DawDreamer says
    ``dawdreamer:LINE``, counted with its own lines first), and where libraries are looked for."""
    import re

    text = " ".join(text.replace("FaustProcessor::compile():", "").split())
    text = re.sub(r"\bdawdreamer:(\d+)\b",
                  lambda m: f"{dsp.name}:{max(1, int(m.group(1)) - FAUST_PREAMBLE_LINES)}", text)
    return re.sub(r"\.? ?Check the faustlibraries path: \S+",
                  f" (libraries are looked for beside {dsp.name}, in {dsp.parent}, then in DawDreamer's own)", text)


def _libs_hash(dsp: Path) -> str:
    h = hashlib.sha256()
    for lib in faust_sources(dsp):
        name = str(lib.relative_to(dsp.parent)).encode()  # sources may sit in subfolders
        try:
            h.update(name + b"\0" + lib.read_bytes() + b"\0")
        except OSError:
            h.update(name + b"\0?\0")
    return h.hexdigest()


def load_vst(engine: Any, name: str, path: Path, kind: str) -> Loaded:
    try:
        proc = engine.make_plugin_processor(name, str(path))
    except Exception as exc:
        raise PluginError(f"plugin {path}: cannot load: {exc}") from None
    return Loaded(proc, kind, path.name)


def apply_state(loaded: Loaded, state: str | None) -> None:
    """Restore saved VST state: ``load_preset`` (``load_state`` opens an editor and dies headless)."""
    if not state:
        return
    if loaded.kind == "faust":
        raise PluginError(f"plugin {loaded.label}: Faust plugins have no state file; use params")
    if not Path(state).exists():
        raise PluginError(f"plugin {loaded.label}: state file {state} not found")
    theirs, ours = _fx_id(Path(state).read_bytes()[:24]), _own_fx_id(loaded)
    if theirs is not None and ours is not None and theirs != ours:
        # load_preset takes any plugin's FXP and the plugin makes what it can of the bytes
        raise PluginError(f"plugin {loaded.label}: state file {state} was saved by another plugin "
                          f"(its id {theirs!r}, this plugin's {ours!r})")
    if not loaded.proc.load_preset(str(state)):
        raise PluginError(f"plugin {loaded.label}: cannot restore state from {state}")
    loaded._desc = None


def _fx_id(head: bytes) -> str | None:
    """The plugin id an FXP/FXB file names (``CcnK`` header, 4 bytes at offset 16), or None."""
    if len(head) < 20 or head[:4] != b"CcnK":
        return None
    return head[16:20].decode("latin-1")


def _own_fx_id(loaded: Loaded) -> str | None:
    """The id this plugin writes into its own state files (saved once to a temporary file)."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(suffix=".fxp")
    os.close(fd)
    try:
        loaded.proc.save_state(tmp)
        with open(tmp, "rb") as fh:
            return _fx_id(fh.read(24))
    except (OSError, RuntimeError):
        return None
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
