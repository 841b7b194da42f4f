"""The page's port of the playback core against the Python core, in chromium, on many traces and
on a cue built to reach the unusual paths (tempo changes, 6/8, a loop inside the cue, immediate,
marker, loop-end and every-2-bars rules, entries at the start and at a marker): the schedules
(start, every switch with its samples, every intensity target) are equal.  No audio: quick."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from composer_assist.core.project import AdaptiveSettings, Marker, TransitionRule
from composer_assist.core.timing import Meter, TempoMap, TempoPoint
from composer_assist.playback.clock import CueClock
from composer_assist.playback.planned import schedule_planned
from composer_assist.playback.policy import PolicyConfig, control_track
from composer_assist.playback.scheduler import schedule_live

COMPARE_JS = """async ([base, items]) => {
  const { cueOf } = await import(base + '/js/package.js');
  const { CueClock } = await import(base + '/js/clock.js');
  const { liveTrack, plannedTrack, configOf } = await import(base + '/js/policy.js');
  const { scheduleLive } = await import(base + '/js/schedule.js');
  const { schedulePlanned } = await import(base + '/js/planned.js');
  return items.map(({ manifest, length, trace, mode }) => {
    const cue = cueOf(manifest), clock = new CueClock(cue, manifest.sample_rate, length), cfg = configOf(cue);
    const s = mode === 'live' ? scheduleLive(cue, clock, liveTrack(trace, cue, null, cfg))
      : schedulePlanned(cue, clock, plannedTrack(trace, cue, null, cfg));
    return { start: s.startVariant,
      switches: s.switches.map((w) => [w.sample, w.source, w.target, w.fade, w.leavePos, w.enterPos, w.enterPasses]),
      intensity: s.intensity };
  });
}"""


def _manifest(cue, sr: int) -> dict:
    """The parts of a package manifest the page's cue is built from."""
    return {"sample_rate": sr,
            "cue": {"name": cue.name, "tempo": cue.tempo.to_json(), "length_beats": cue.length_beats,
                    "meter": {"numerator": cue.meter.numerator, "denominator": cue.meter.denominator}},
            "loop": {"start_beat": cue.loop_beats[0], "end_beat": cue.loop_beats[1]},
            "markers": [{"name": m.name, "beat": m.beat} for m in cue.markers],
            "variants": [{"name": v.name, "valence": v.valence, "arousal": v.arousal, "tags": v.tags,
                          "intensity": list(v.intensity), "arousal_follows_intensity": v.arousal_follows_intensity,
                          "layers": [{"name": l.name, "intensity": list(l.intensity), "fade": l.fade}
                                     for l in v.layers]} for v in cue.variants],
            "rules": [{"source": r.source, "target": r.target, "leave": r.leave, "bars": r.bars,
                       "leave_marker": r.leave_marker, "enter": r.enter, "enter_marker": r.enter_marker,
                       "fade_beats": r.fade_beats, "curve": r.curve, "stinger": r.stinger} for r in cue.transitions],
            "stingers": [],
            "adaptive": {"dwell_bars": cue.adaptive.dwell_bars, "hysteresis": cue.adaptive.hysteresis,
                         "intensity_slew": cue.adaptive.intensity_slew, "control_rate": cue.adaptive.control_rate,
                         "congruence_radius": cue.adaptive.congruence_radius,
                         "max_switches_per_minute": cue.adaptive.max_switches_per_minute}}


def _odd_cue(budget: int = 2):
    from composer_assist.adaptive.synthetic import synthetic_cue

    cue = synthetic_cue(n_variants=4, n_layers=2, bars=12, meter=Meter(6, 8), loop=(6.0, 30.0),
                        adaptive=AdaptiveSettings(dwell_bars=1.5, hysteresis=0.1, control_rate=8.0,
                                                  max_switches_per_minute=budget))
    cue.tempo = TempoMap([TempoPoint(0.0, 120.0), TempoPoint(9.0, 84.0), TempoPoint(21.0, 150.0)])
    cue.markers = [Marker("A", 3.0), Marker("B", 15.0), Marker("C", 27.0)]
    cue.transitions = [
        TransitionRule(leave="bars", bars=2, fade_beats=1.5, curve="s_curve"),
        TransitionRule(source="calm", target="*", leave="immediate", fade_beats=0.0, curve="linear"),
        TransitionRule(source="*", target="tense", leave="marker", enter="marker", enter_marker="B", fade_beats=0.5),
        TransitionRule(source="tense", target="sad", leave="loop_end", enter="start", fade_beats=3.0),
        TransitionRule(source="sad", target="bright", leave="beat", fade_beats=0.25, curve="equal_power"),
    ]
    return cue


def _span_cue():
    """The odd cue with two variants whose arousal follows intensity (core.emotion_span)."""
    cue = _odd_cue()
    for v, rng in zip(cue.variants[1:3], [(0.3, 1.0), (0.45, 0.95)]):
        v.intensity, v.arousal_follows_intensity = rng, True
    return cue


def _random_traces(n: int, seed: int = 3) -> list[dict]:
    """Scenes jumping between the corners with blips of one sample to many seconds, and heart rate."""
    rng = np.random.default_rng(seed)
    corners = [(0.6, -0.6), (0.7, 0.7), (-0.7, 0.7), (-0.6, -0.6)]
    out = []
    for i in range(n):
        t = np.arange(0.0, 70.0, 0.25 if i % 2 else 0.5)
        v, a, k = np.zeros_like(t), np.zeros_like(t), 0
        while k < t.size:
            span = int(rng.integers(1, 40))
            c = corners[int(rng.integers(4))]
            v[k:k + span] = c[0] + rng.normal(0, 0.12, v[k:k + span].size)
            a[k:k + span] = c[1] + rng.normal(0, 0.12, a[k:k + span].size)
            k += span
        out.append({"times": t.tolist(), "valence": np.clip(v, -1, 1).tolist(), "arousal": np.clip(a, -1, 1).tolist(),
                    "heartRate": (70 + 15 * np.clip(a, -1, 1)).tolist() if i % 2 == 0 else None})
    return out


class _Trace:
    def __init__(self, d: dict) -> None:
        self.times, self.valence, self.arousal = (np.asarray(d[k]) for k in ("times", "valence", "arousal"))
        self.channels = {} if d["heartRate"] is None else {"heart_rate": np.asarray(d["heartRate"])}




def test_js_schedules_equal_the_python_core(browser, player_url, root):
    from composer_assist.core.project.files import load_project
    from composer_assist.core.trace import load_trace

    demo = load_project(root / "projects" / "demo").cue("night_chase")
    sample = [load_trace(p) for p in sorted(Path(root / "projects" / "traces").glob("*.csv"))]
    traces = [{"times": t.times.tolist(), "valence": t.valence.tolist(), "arousal": t.arousal.tolist(),
               "heartRate": t.channels["heart_rate"].tolist() if "heart_rate" in t.channels else None}
              for t in sample] + _random_traces(6)
    items, expected = [], []
    # Viewer calibration (playback/calibration.py) on the demo cue as well.
    # The switch budget: 2 (the default), 3 (a spacing of 20 s) and none.
    cases = [(demo, False), (_odd_cue(), False), (_odd_cue(3), False), (_odd_cue(0), False), (_span_cue(), False),
             (_span_cue(), True), (demo, True)]
    for cue, cal in cases:
        clock = CueClock(cue, 48000)
        config = PolicyConfig(calibrate=True) if cal else None
        for d in traces:
            for mode in ("live", "planned"):
                track = control_track(_Trace(d), cue, mode, config=config)
                s = (schedule_live if mode == "live" else schedule_planned)(cue, clock, track)
                expected.append({"start": s.start_variant,
                                 "switches": [[w.sample, w.source, w.target, w.fade, w.leave_pos, w.enter_pos,
                                               w.enter_passes] for w in s.switches],
                                 "intensity": [[a, b] for a, b in s.intensity]})
                manifest = _manifest(cue, 48000)
                manifest["adaptive"]["policy"] = {"calibrate": cal}
                items.append({"manifest": manifest, "length": clock.length, "trace": d, "mode": mode})
    page = browser.new_page()
    page.goto(f"{player_url}/style.css")  # any page of the origin: the modules are imported into it
    got = page.evaluate(COMPARE_JS, [player_url, items])
    page.close()
    assert sum(len(e["switches"]) for e in expected) > 150  # the traces do switch, on every rule
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == e, f"case {i}: {items[i]['manifest']['cue']['tempo']} {items[i]['mode']} {items[i]['manifest']['adaptive']}"


SEGMENT_JS = """async ([base, cases]) => {
  const { bestSequence, bestSequenceWindow } = await import(base + '/js/segmentation.js');
  return cases.map((c) => (c.window ? bestSequenceWindow(c.gain, c.start, c.minLen, c.window, c.penalty, c.step)
                                    : bestSequence(c.gain, c.start, c.minLen, c.penalty)));
}"""


def test_js_segmentation_equals_the_python_one(browser, player_url):
    """The planned choice's dynamic programme, on gains full of ties (integers) and on real ones:
    the same visits, tick for tick."""
    from composer_assist.playback.segmentation import best_sequence, tick_gain

    rng = np.random.default_rng(7)
    cases = []
    for i in range(24):
        n, nv = int(rng.integers(5, 300)), int(rng.integers(1, 6))
        if i % 3 == 0:
            gain = rng.integers(0, 2, (n, nv)).astype(float)
        else:
            gain = tick_gain(rng.uniform(0.0, 1.5, (n, nv)), 0.5)
        cases.append({"gain": gain.tolist(), "start": int(rng.integers(0, nv)), "minLen": int(rng.integers(1, 40)),
                      "penalty": float(rng.choice([0.0, 1.0, 7.5, 20.0]))})
    page = browser.new_page()
    page.goto(f"{player_url}/style.css")
    got = page.evaluate(SEGMENT_JS, [player_url, cases])
    page.close()
    want = [[list(v) for v in best_sequence(np.array(c["gain"]), c["start"], c["minLen"], c["penalty"])]
            for c in cases]
    assert sum(len(w) - 1 for w in want) > 40  # the cases do switch
    assert got == want


def test_js_window_segmentation_equals_the_python_one(browser, player_url):
    """Planned mode's choice under the switch budget's window (Python computes a dwell of slots at a
    time, JS one slot at a time): the same visits, on ties, real gains, opening masks and grids."""
    from composer_assist.playback.segmentation import tick_gain
    from composer_assist.playback.window_segmentation import best_sequence_window

    rng = np.random.default_rng(11)
    cases = []
    for i in range(24):
        n, nv = int(rng.integers(5, 600)), int(rng.integers(1, 6))
        gain = rng.integers(0, 2, (n, nv)).astype(float) if i % 3 == 0 else tick_gain(rng.uniform(0.0, 1.5, (n, nv)), 0.5)
        min_len = int(rng.integers(1, 15))
        start = [bool(x) for x in rng.random(nv) < 0.5] if i % 4 == 1 else int(rng.integers(0, nv))
        if i % 4 == 1 and not any(start):
            start[0] = True
        cases.append({"gain": gain.tolist(), "start": start, "minLen": min_len,
                      "window": int(rng.integers(min_len, 4 * min_len + 2)),
                      "penalty": float(rng.choice([0.0, 1.0, 7.5, 20.0])), "step": int(rng.choice([1, 3, 5]))})
    page = browser.new_page()
    page.goto(f"{player_url}/style.css")
    got = page.evaluate(SEGMENT_JS, [player_url, cases])
    page.close()
    want = [[list(v) for v in best_sequence_window(
        np.array(c["gain"]), np.array(c["start"]) if isinstance(c["start"], list) else c["start"], c["minLen"],
        c["window"], c["penalty"], c["step"])] for c in cases]
    assert sum(len(w) - 1 for w in want) > 40  # the cases do switch
    assert got == want
