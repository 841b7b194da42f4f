"""Writes the VST demo project: the demo's harmony played by Debian's VST plugins.

Run from the project root: ``python projects/vst_demo/compose.py``.  Needs the Debian packages
``amsynth`` and ``dpf-plugins-vst`` (``scripts/setup.sh --test`` installs them).  Two variants of
one 8-bar cue:

  calm   amsynth pad into the DISTRHO MVerb reverb, Kars (Karplus-Strong) plucked arpeggio
  tense  Nekobi (TB-303 style) bass line in 8ths, amsynth pad, MVerb
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parent / "demo"))

import compose as demo  # noqa: E402  (the demo project's note builders)

from composer_assist.core.project import Clip, Cue, Layer, PluginRef, Project, TransitionRule, Variant  # noqa: E402
from composer_assist.core.project import save_project  # noqa: E402
from composer_assist.core.timing import Meter, TempoMap  # noqa: E402

AMSYNTH_PAD = {"amp_attack": 0.35, "amp_release": 0.45, "amp_sustain": 0.8, "filter_cutoff": 0.55,
               "osc2_detune": 0.53, "master_vol": 0.5}
REVERB = PluginRef("MVerb-vst.so", {"Mix": 0.35, "Size": 0.8, "Decay": 0.6})


def vst_layer(name: str, plugin: str, notes, params=None, effects=(), gain_db=0.0, pan=0.0,
              intensity=(0.0, 1.0)) -> Layer:
    return Layer(name=name, instrument=PluginRef(plugin, dict(params or {})), effects=list(effects),
                 gain_db=gain_db, pan=pan, intensity=intensity, clips=[Clip(0.0, list(notes))])


def build() -> Project:
    calm, tense = demo.PROGRESSIONS["calm"], demo.PROGRESSIONS["tense"]
    variants = [
        Variant("calm", valence=0.5, arousal=-0.5, tags=["calm", "warm"], layers=[
            vst_layer("pad", "amsynth_vst.so", demo.pad_part(calm, 12, 70), AMSYNTH_PAD, [REVERB], -3.0),
            vst_layer("pluck", "Kars-vst.so", demo.arpeggio(calm, [0, 1, 2, 3, 2, 1, 0, 1], 0.5, 90),
                      {"Release": 0.3}, [REVERB], -2.0, 0.3),
        ]),
        Variant("tense", valence=-0.6, arousal=0.7, tags=["tense", "dark"], layers=[
            vst_layer("pad", "amsynth_vst.so", demo.pad_part(tense, 0, 80), AMSYNTH_PAD, [REVERB], -5.0),
            vst_layer("acid", "Nekobi-vst.so", demo.bass_part(tense, [(b * 0.5, 0.4, 12 * (b % 4 == 3))
                                                                       for b in range(8)], 100),
                      {"Cutoff": 0.35, "VCF Resonance": 0.6, "Env Mod": 0.7}, [], -6.0, intensity=(0.3, 1.0)),
        ]),
    ]
    cue = Cue(name="night_chase_vst", tempo=TempoMap.constant(96.0), meter=Meter(4, 4), key="D minor",
              length_bars=demo.BARS, variants=variants,
              transitions=[TransitionRule(leave="bar", enter="same", fade_beats=2.0)])
    return Project(name="Composer Assist VST demo", sample_rate=48000, cues=[cue])


if __name__ == "__main__":
    print(f"wrote {save_project(build(), HERE / 'project.json')}")
