"""Small builders for the audio tests: a Faust test instrument, projects, misbehaving VSTs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np

from composer_assist.core.plugins.trust import trust
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
    trust(folder / f"{name}.dsp")  # the test wrote it: the user's choice, as `plugins trust` records it
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


def _cc(folder: Path, name: str, source: str, defines: list[str] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / f"{name}.c"
    src.write_text(source)
    out = folder / f"{name}_vst.so"
    subprocess.run(["cc", "-shared", "-fPIC", *defines, "-o", str(out), str(src), "-lm"], check=True)
    trust(out)
    return out


def build_bad_vst(folder: Path, kind: str) -> Path:
    """Compile a tiny VST2-looking shared object that segfaults or hangs when instantiated."""
    return _cc(folder, kind, BAD_VST_C[kind])


# A real (minimal) VST2 instrument: a 440 Hz sine at -20 dBFS whatever the notes, so a render
# with it succeeds and is audible.  What it does when the host loads it (VSTPluginMain runs twice
# per load in DawDreamer: once to describe, once to instantiate) is chosen by macros:
#   NOISY=n: write garbage to fds 1..n; PIDFILE="path": fork a child that sleeps 10 min and append
#   its pid to the file; TMPFILE: create a file in $TMPDIR; HANG: then never return.
MINI_VST_C = r"""
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
typedef struct AEffect AEffect;
typedef void (*Process)(AEffect *, float **, float **, int32_t);
struct AEffect {
  int32_t magic; intptr_t (*dispatcher)(AEffect *, int32_t, int32_t, intptr_t, void *, float);
  Process process; void (*setParameter)(AEffect *, int32_t, float); float (*getParameter)(AEffect *, int32_t);
  int32_t numPrograms, numParams, numInputs, numOutputs, flags;
  intptr_t resvd1, resvd2; int32_t initialDelay, realQualities, offQualities; float ioRatio;
  void *object, *user; int32_t uniqueID, version; Process processReplacing;
  void (*processDoubleReplacing)(AEffect *, double **, double **, int32_t); char future[56];
};
static double phase;
static intptr_t dispatch(AEffect *e, int32_t op, int32_t i, intptr_t v, void *p, float o) { return 0; }
static void render(AEffect *e, float **in, float **out, int32_t n) {
  for (int32_t k = 0; k < n; k++) {
    out[0][k] = out[1][k] = 0.1f * (float)sin(phase);
    phase = fmod(phase + 2 * M_PI * 440.0 / 48000.0, 2 * M_PI);
  }
}
static void set_param(AEffect *e, int32_t i, float v) {}
static float get_param(AEffect *e, int32_t i) { return 0; }
static AEffect fx;
static void on_load(void) {
#ifdef NOISY
  static const char junk[] = "garbage {\"id\": 0, not json\n";
  for (int fd = 1; fd <= NOISY; fd++) (void)!write(fd, junk, sizeof junk - 1);
#endif
#ifdef PIDFILE
  pid_t child = fork();
  if (child == 0) { sleep(600); _exit(0); }
  FILE *f = fopen(PIDFILE, "a");
  if (f) { fprintf(f, "%d\n", (int)child); fclose(f); }
#endif
#ifdef TMPFILE
  char path[4096];
  snprintf(path, sizeof path, "%s/plugin-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
#endif
#ifdef HANG
  for (;;) sleep(1);
#endif
}
AEffect *VSTPluginMain(void *host) {
  on_load();
  memset(&fx, 0, sizeof fx);
  fx.magic = 0x56737450;  /* 'VstP' */
  fx.dispatcher = dispatch; fx.process = fx.processReplacing = render;
  fx.setParameter = set_param; fx.getParameter = get_param;
  fx.numOutputs = 2; fx.flags = (1 << 4) | (1 << 8);  /* can replace, is a synth */
  fx.uniqueID = 0x4d696e69; fx.version = 1;
  return &fx;
}
AEffect *main_plugin(void *host) { return VSTPluginMain(host); }
"""


def build_mini_vst(folder: Path, name: str, *, noisy: int = 0, pidfile: Path | None = None,
                   tmpfile: bool = False, hang: bool = False) -> Path:
    """Compile ``MINI_VST_C`` as ``folder/<name>_vst.so`` with the chosen misbehaviour."""
    defines = [f"-D{m}" for m, on in (("TMPFILE", tmpfile), ("HANG", hang)) if on]
    if noisy:
        defines.append(f"-DNOISY={int(noisy)}")
    if pidfile is not None:
        defines.append(f"-DPIDFILE={json.dumps(str(pidfile))}")
    return _cc(folder, name, MINI_VST_C, defines)
