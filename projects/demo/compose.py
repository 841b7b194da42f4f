"""Writes the demo project: one 8-bar cue in five emotional colours, four layers each.

Run from the project root: ``python projects/demo/compose.py``.  It regenerates
``projects/demo/project.json`` and the MIDI clips in ``projects/demo/clips/`` deterministically;
the committed files are its output, kept so the demo needs no generation step.

The music: D minor / D major at 96 BPM in 4/4.  Every variant follows the same 8-bar harmonic
rhythm (one chord a bar) so that switching "at the same position" stays in phrase:

  calm     i  VI  III VII  (Dm Bb F C), soft pad, arpeggiated keys, long bass notes, strings on top
  tense    i  VI  III VII  low string ostinato in 8ths, pulsing bass, dark pad, toms/kick groove
  playful  I  vi  IV  V    (D Bm G A), staccato keys, bouncing bass, light kit, bright pad
  sad      i  iv  VI  v    (Dm Gm Bb Am), slow strings, sparse keys melody, pad, soft bass
  ambient  i  VI  III VII  open fifths on a pad, a few bell-like keys, high strings and a low
                           drone entering with intensity: the neutral centre of the plane

Why an ambient variant: real viewers' valence/arousal mostly sits near neutral and moves in small
ranges (studyforrest scenes, PMEmo songs); the four corner variants sit 0.7-0.9 from the centre, so
without one there the music rarely matched them (measured with ``composer-assist coverage``, see
docs/adaptive.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import mido

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from composer_assist.core.project import (  # noqa: E402
    AdaptiveSettings, Clip, Cue, Layer, Marker, Note, PluginRef, Project, TransitionRule, Variant,
)
from composer_assist.core.project import save_project  # noqa: E402
from composer_assist.core.timing import Meter, TempoMap  # noqa: E402

BARS = 8
TPB = 480

# Chords as MIDI pitches of root position triads (root in octave 3).
MINOR = {"Dm": (50, 53, 57), "Bb": (46, 50, 53), "F": (53, 57, 60), "C": (48, 52, 55),
         "Gm": (55, 58, 62), "Am": (57, 60, 64)}
MAJOR = {"D": (50, 54, 57), "Bm": (47, 50, 54), "G": (55, 59, 62), "A": (57, 61, 64)}
CHORDS = {**MINOR, **MAJOR}
PROGRESSIONS = {
    "calm": ["Dm", "Bb", "F", "C"] * 2,
    "tense": ["Dm", "Bb", "F", "C"] * 2,
    "playful": ["D", "Bm", "G", "A"] * 2,
    "sad": ["Dm", "Gm", "Bb", "Am"] * 2,
    "ambient": ["Dm", "Bb", "F", "C"] * 2,
}


def chord(name: str) -> tuple[int, int, int]:
    return CHORDS[name]


def pad_part(prog: list[str], octave: int = 12, vel: int = 70) -> list[Note]:
    out = []
    for bar, name in enumerate(prog):
        for p in chord(name):
            out.append(Note(bar * 4.0, 3.9, p + octave, vel))
    return out


def arpeggio(prog: list[str], pattern: list[int], step: float, vel: int, octave: int = 12,
             length: float | None = None) -> list[Note]:
    out = []
    for bar, name in enumerate(prog):
        tones = [p + octave for p in chord(name)] + [chord(name)[0] + octave + 12]
        t = 0.0
        i = 0
        while t < 4.0 - 1e-9:
            out.append(Note(bar * 4.0 + t, length or step * 0.9, tones[pattern[i % len(pattern)]],
                            vel - 8 * (i % 2)))
            t += step
            i += 1
    return out


def bass_part(prog: list[str], rhythm: list[tuple[float, float, int]], vel: int) -> list[Note]:
    """rhythm: (beat, duration, interval above root) in a bar; bass an octave below the chord root."""
    out = []
    for bar, name in enumerate(prog):
        root = chord(name)[0] - 12
        for beat, dur, interval in rhythm:
            out.append(Note(bar * 4.0 + beat, dur, root + interval, vel))
    return out


def drum_part(pattern: dict[int, list[tuple[float, int]]], bars: int = BARS, fill: bool = True) -> list[Note]:
    out = []
    for bar in range(bars):
        for pitch, hits in pattern.items():
            for beat, vel in hits:
                out.append(Note(bar * 4.0 + beat, 0.25, pitch, vel))
    if fill:  # a tom fill into the repeat, so the loop point is audible as a phrase end
        for i, p in enumerate((50, 48, 47, 45)):
            out.append(Note((bars - 1) * 4.0 + 2.0 + i * 0.5, 0.25, p, 100))
    return out


def fifths_part(prog: list[str], octave: int = 12, vel: int = 56) -> list[Note]:
    """Root and fifth held through the bar: open, neither major nor minor."""
    return [Note(bar * 4.0, 3.9, chord(name)[i] + octave, vel) for bar, name in enumerate(prog) for i in (0, 2)]


def melody(notes: list[tuple[float, float, int]], vel: int) -> list[Note]:
    return [Note(b, d, p, vel) for b, d, p in notes]


def write_clip(name: str, notes: list[Note], bpm: float) -> str:
    """Write notes as a format-1 MIDI file in clips/ and return its relative path."""
    mf = mido.MidiFile(type=1, ticks_per_beat=TPB)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm), time=0),
                           mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0),
                           mido.MetaMessage("end_of_track", time=0)])
    events = []
    for n in notes:
        on = int(round(n.start * TPB))
        off = int(round((n.start + n.duration) * TPB))
        events.append((on, 1, mido.Message("note_on", note=n.pitch, velocity=n.velocity)))
        events.append((off, 0, mido.Message("note_off", note=n.pitch, velocity=0)))
    events.sort(key=lambda e: (e[0], e[1]))
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name, time=0)])
    last = 0
    for tick, _, msg in events:
        track.append(msg.copy(time=tick - last))
        last = tick
    track.append(mido.MetaMessage("end_of_track", time=0))
    mf.tracks.extend([meta, track])
    rel = f"clips/{name}.mid"
    path = HERE / rel
    path.parent.mkdir(exist_ok=True)
    mf.save(path)
    return rel


def layer(name: str, plugin: str, notes: list[Note], intensity=(0.0, 1.0), gain_db=0.0, pan=0.0,
          params=None, clip_name: str | None = None, bpm: float = 96.0, fade: float = 0.15,
          effects: list[PluginRef] | None = None) -> Layer:
    if clip_name:  # stored as a .mid beside the project, as a composer's DAW export would be
        clip = Clip(start=0.0, file=write_clip(clip_name, notes, bpm), notes=notes)
    else:
        clip = Clip(start=0.0, notes=notes)
    return Layer(name=name, instrument=PluginRef(plugin, dict(params or {})), gain_db=gain_db, pan=pan,
                 intensity=intensity, fade=fade, clips=[clip], effects=list(effects or []))


# Rounds the transients of the kick, snare and plucked bass off (no latency): their peaks, not
# their loudness, kept the cue from -14 LUFS under a -1 dBTP ceiling for streaming delivery
# (docs/packages.md).
def soft_clip(ceiling_db: float) -> PluginRef:
    return PluginRef("clipper", {"ceiling": ceiling_db, "knee": 6.0})


def build() -> Project:
    bpm = 96.0
    kit_light = {36: [(0.0, 100), (2.5, 80)], 38: [(1.0, 85), (3.0, 90)],
                 42: [(b * 0.5, 60 + 15 * (b % 2 == 0)) for b in range(8)]}
    kit_tense = {36: [(0.0, 110), (0.75, 90), (2.0, 105), (2.75, 90)], 41: [(1.5, 80)], 43: [(3.5, 85)],
                 42: [(b * 0.25, 45 + 25 * (b % 4 == 0)) for b in range(16)]}

    calm = PROGRESSIONS["calm"]
    tense = PROGRESSIONS["tense"]
    playful = PROGRESSIONS["playful"]
    sad = PROGRESSIONS["sad"]
    amb = PROGRESSIONS["ambient"]
    # One bell-like note every two beats, chord tones an octave up: sparse, no pulse to speak of.
    amb_bells = [(bar * 4.0 + b, 1.8, chord(name)[k] + 24) for bar, name in enumerate(amb)
                 for b, k in ((0.0, 2), (2.0, 1 if bar % 2 else 0))]
    sad_melody = [(0, 1.5, 69), (1.5, 0.5, 67), (2, 2, 65), (4, 3, 62), (8, 1.5, 65), (9.5, 0.5, 64),
                  (10, 2, 62), (12, 3, 64), (16, 1.5, 69), (17.5, 0.5, 70), (18, 2, 69), (20, 3, 67),
                  (24, 2, 65), (26, 1, 64), (27, 1, 62), (28, 4, 64)]

    # Each variant's layers enter one after another across its intensity range, so the music
    # grows from sparse and soft at the bottom of the range to full and driven at the top: the
    # arousal follows intensity (``arousal_follows_intensity``, core.emotion_span), and a viewer
    # moving in arousal is followed by intensity without a switch.  A pulse (bass, keys, string
    # ostinato) enters in the middle of the range, the drums near the top.
    # ``python benchmarks/intensity_arousal.py`` measures loudness, onsets and brightness rising.
    follows = dict(arousal_follows_intensity=True)
    variants = [
        Variant("calm", valence=0.5, arousal=-0.5, tags=["calm", "warm"], intensity=(0.0, 0.6), **follows, layers=[
            layer("pad", "pad", pad_part(calm, 12, 64), (0.0, 1.0), -4.0),
            layer("bass", "bass", bass_part(calm, [(0.0, 3.8, 0)], 80), (0.15, 1.0), -5.0, fade=0.1),
            layer("keys", "keys", arpeggio(calm, [0, 1, 2, 3, 2, 1, 0, 1], 0.5, 72), (0.3, 1.0), -6.0, -0.3,
                  clip_name="calm_keys", fade=0.1),
            layer("strings", "strings", pad_part(calm, 24, 60), (0.45, 1.0), -9.0, 0.3, fade=0.1),
        ]),
        Variant("tense", valence=-0.6, arousal=0.7, tags=["tense", "dark", "driving"], intensity=(0.4, 1.0),
                **follows, layers=[
            layer("pad", "pad", pad_part(tense, 0, 70), (0.0, 1.0), -7.0),
            layer("bass", "bass", bass_part(tense, [(b * 0.5, 0.4, 0) for b in range(8)], 100), (0.5, 1.0), -6.0,
                  fade=0.1, effects=[soft_clip(-15.0)]),
            layer("strings", "strings", arpeggio(tense, [0, 0, 1, 0, 2, 0, 1, 0], 0.5, 95, 0, 0.45), (0.62, 1.0),
                  -6.0, 0.25, clip_name="tense_strings", fade=0.1),
            layer("drums", "drums", drum_part(kit_tense), (0.78, 1.0), -4.0, fade=0.1, effects=[soft_clip(-13.0)]),
        ]),
        Variant("playful", valence=0.7, arousal=0.5, tags=["playful", "bright", "light"], intensity=(0.2, 0.9),
                **follows, layers=[
            layer("pad", "pad", pad_part(playful, 12, 55), (0.0, 1.0), -10.0),
            layer("keys", "keys", arpeggio(playful, [0, 2, 1, 3, 0, 2, 1, 2], 0.5, 85, 12, 0.25), (0.35, 1.0),
                  -5.0, -0.2, clip_name="playful_keys", fade=0.1),
            layer("bass", "bass", bass_part(playful, [(0, 0.4, 0), (1, 0.4, 7), (1.5, 0.3, 12), (2, 0.4, 0),
                                                      (3, 0.4, 7), (3.5, 0.3, 4)], 90), (0.5, 1.0), -6.0,
                  fade=0.1, effects=[soft_clip(-15.0)]),
            layer("drums", "drums", drum_part(kit_light), (0.68, 1.0), -6.0, fade=0.1, effects=[soft_clip(-17.0)]),
        ]),
        Variant("sad", valence=-0.6, arousal=-0.5, tags=["sad", "melancholic"], intensity=(0.0, 0.5), **follows,
                layers=[
            layer("strings", "strings", pad_part(sad, 0, 62), (0.0, 1.0), -6.0),
            layer("pad", "pad", pad_part(sad, 12, 50), (0.1, 1.0), -9.0, fade=0.1),
            layer("keys", "keys", melody(sad_melody, 70), (0.22, 1.0), -6.0, 0.2, clip_name="sad_melody", fade=0.1),
            layer("bass", "bass", bass_part(sad, [(0.0, 1.9, 0), (2.0, 1.9, 7)], 70), (0.3, 1.0), -10.0,
                  fade=0.1),
        ]),
        Variant("ambient", valence=0.0, arousal=0.0, tags=["neutral", "ambient", "open"], intensity=(0.0, 0.7),
                **follows, layers=[
            layer("pad", "pad", fifths_part(amb, 12, 58), (0.0, 1.0), -5.0),
            layer("keys", "keys", melody(amb_bells, 58), (0.15, 1.0), -8.0, 0.25, clip_name="ambient_keys",
                  fade=0.1),
            layer("strings", "strings", pad_part(amb, 24, 50), (0.32, 1.0), -12.0, -0.3, fade=0.1),
            layer("bass", "bass", bass_part(amb, [(0.0, 3.8, 0)], 60), (0.5, 1.0), -12.0, fade=0.1),
        ]),
    ]

    cue = Cue(
        name="night_chase",
        tempo=TempoMap.constant(bpm),
        meter=Meter(4, 4),
        key="D minor",
        length_bars=BARS,
        loop=(0.0, BARS * 4.0),
        markers=[Marker("phrase_b", 16.0)],
        variants=variants,
        transitions=[
            TransitionRule(leave="bar", enter="same", fade_beats=2.0, curve="equal_power"),
            TransitionRule(source="*", target="tense", leave="beat", enter="same", fade_beats=1.0,
                           curve="equal_power"),
            TransitionRule(source="tense", target="calm", leave="bars", bars=2, enter="same", fade_beats=4.0,
                           curve="s_curve"),
        ],
        adaptive=AdaptiveSettings(dwell_bars=2.0, hysteresis=0.15, intensity_slew=0.5, control_rate=10.0,
                                  congruence_radius=0.5, max_switches_per_minute=2),
    )
    return Project(name="Composer Assist demo", sample_rate=48000, cues=[cue])


def main() -> None:
    project = build()
    path = save_project(project, HERE / "project.json")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
