"""Small builders for the audio tests: a Faust test instrument, projects, misbehaving VSTs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from composer_assist.core.project import Clip, Cue, Layer, Note, PluginRef, Project, Variant
from composer_assist.core.timing import TempoMap

# A plain polyphonic instrument: saw through a low-pass whose cutoff is a parameter.  Instant
# attack so onsets can be located to the sample.
TONE_DSP = """import("stdfaust.lib");
freq = hslider("freq", 220, 20, 20000, 0.01);
gain = hslider("gain", 0.5, 0, 1, 0.001);
gate = button("gate");
cutoff = hslider("cutoff", 4000, 50, 16000, 1);
process = os.sawtooth(freq) * gain * 0.5 * en.asr(0.0005, 1, 0.05, gate) : fi.lowpass(2, cutoff) <: _, _;
"""
TONE_JSON = {"name": "Test tone", "kind": "instrument", "voices": 4, "release_s": 0.2,
             "params": {"cutoff": {"default": 4000, "min": 50, "max": 16000, "unit": "Hz"}}}


def write_tone(folder: Path, name: str = "tone") -> str:
    """Write ``name.dsp`` + ``name.json`` into ``folder``; returns the project reference."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.dsp").write_text(TONE_DSP)
    (folder / f"{name}.json").write_text(json.dumps(TONE_JSON))
    return f"./{name}.dsp"


def project(folder: Path, layers: list[Layer], tempo: TempoMap | None = None, bars: int = 2,
            sample_rate: int = 48000, stingers: list[Layer] | None = None,
            variants: list[Variant] | None = None) -> Project:
    folder.mkdir(parents=True, exist_ok=True)
    cue = Cue("cue", tempo or TempoMap.constant(120), length_bars=bars,
              variants=variants or [Variant("main", 0.2, 0.5, ["test"], layers=layers)],
              stingers=stingers or [])
    p = Project("test", sample_rate, [cue])
    p.path = folder / "project.json"
    return p


def layer(name: str, plugin: str, notes: list[Note], effects: list[PluginRef] | None = None,
          params: dict | None = None, state: str | None = None, **kw) -> Layer:
    return Layer(name, PluginRef(plugin, params or {}, state), effects or [], clips=[Clip(0.0, notes)], **kw)


def arpeggio(beats: float, step: float = 0.5, dur: float = 0.4) -> list[Note]:
    return [Note(i * step, dur, 48 + (i * 7) % 24, 100) for i in range(int(beats / step))]


def onset(audio: np.ndarray, threshold: float = 1e-3) -> int:
    loud = np.nonzero(np.abs(audio).max(axis=0) > threshold)[0]
    return int(loud[0]) if loud.size else -1


BAD_VST_C = {
    "crash": "void *VSTPluginMain(void *cb) { volatile int *p = 0; *p = 1; return 0; }\n"
             "void *main_plugin(void *cb) { return VSTPluginMain(cb); }\n",
    "hang": "#include <unistd.h>\nvoid *VSTPluginMain(void *cb) { for (;;) sleep(1); return 0; }\n"
            "void *main_plugin(void *cb) { return VSTPluginMain(cb); }\n",
}


def build_bad_vst(folder: Path, kind: str) -> Path:
    """Compile a tiny VST2-looking shared object that segfaults or hangs when instantiated."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / f"{kind}.c"
    src.write_text(BAD_VST_C[kind])
    out = folder / f"{kind}_vst.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(out), str(src)], check=True)
    return out
