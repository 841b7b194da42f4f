"""The timeline's bar grid follows the cue as the player plays it (to the loop's end, then the loop);
switch markers and the decision log follow a switch that is moved before it is heard."""

from __future__ import annotations

from composer_assist.core.project import Cue
from composer_assist.core.timing import TempoMap


def test_bar_lines_repeat_the_loop_region_once_the_cue_reaches_its_end():
    from composer_assist.app.timeline_history import bar_times

    cue = Cue("c", TempoMap.constant(120), length_bars=4, loop=(4.0, 12.0))  # 2 s a bar; loop bars 2-3
    bars = [(round(t, 6), label) for t, is_bar, label in bar_times(cue, 14.5) if is_bar]
    # 0-6 s: bars 1, 2, 3 (the loop ends at bar 4's start), then bars 2, 3 again and again
    assert bars == [(0, "1"), (2, "2"), (4, "3"), (6, "2"), (8, "3"), (10, "2"), (12, "3"), (14, "2")]
    beats = [t for t, is_bar, _ in bar_times(cue, 14.0) if not is_bar]
    assert beats[:3] == [0.5, 1.0, 1.5]
    whole = Cue("w", TempoMap.constant(120), length_bars=2)
    assert [lab for _t, b, lab in bar_times(whole, 4.0) if b] == ["1", "2", "3"]  # the end, drawn once


def _moved_switch_log():
    """A live schedule whose switch to ambient was moved to sad before its boundary (a retarget)."""
    from pathlib import Path

    import numpy as np
    from point_variants import as_points

    from composer_assist.core.project import load_project
    from composer_assist.core.trace import Trace
    from composer_assist.playback.clock import CueClock
    from composer_assist.playback.policy import control_track
    from composer_assist.playback.scheduler import schedule_live

    cue = as_points(load_project(Path(__file__).resolve().parents[2] / "projects" / "demo").cue("night_chase"))
    cue.adaptive.max_switches_per_minute = 0
    t = np.arange(0, 40, 0.1)  # calm, the centre for 1.5 s, then sad
    v = np.select([t < 12.0 - 1e-9, t < 13.5 - 1e-9], [0.5, 0.0], -0.6)
    a = np.select([t < 12.0 - 1e-9, t < 13.5 - 1e-9], [-0.5, 0.0], -0.5)
    return cue, schedule_live(cue, CueClock(cue, 8000), control_track(Trace(t, v, a, name="x"), cue, "live"))


def test_the_decision_log_shows_a_switch_moved_to_another_variant():
    from composer_assist.app.decisions import switch_rows

    cue, sched = _moved_switch_log()
    assert [(sched.switches[0].source, sched.switches[0].target)] == [(0, 3)]  # calm -> sad, heard
    moves = [r[2] for r in switch_rows(cue, sched.log)]
    # Before: only "calm → ambient", a switch that never happened; the move to sad was missing.
    assert moves == ["start on calm", "calm → ambient", "calm → sad (moved)"], moves


def test_switch_markers_follow_a_moved_switch(qtbot):
    from types import SimpleNamespace

    from composer_assist.app.timeline import Timeline

    cue, sched = _moved_switch_log()
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.show_cue(cue)
    first = sched.switches[0]
    player = SimpleNamespace(schedule=SimpleNamespace(switches=[first]), sample_rate=8000,
                             stems=SimpleNamespace(variant_names=[v.name for v in cue.variants]))
    status = SimpleNamespace(seconds=1.0, variant="calm", intensity=0.5, layer_gains={})
    tl.show_status(status, player)
    assert [item.label.format for _plot, item in tl._markers] == ["→ sad"]
    # The switch is moved to another boundary and target: as many switches as before, another one.
    player.schedule.switches = [SimpleNamespace(**{**first.__dict__, "sample": first.sample + 20000, "target": 4})]
    tl._drawn = 0.0  # the curves redraw a few times a second: as if the next one were due
    tl.show_status(SimpleNamespace(seconds=1.1, variant="calm", intensity=0.5, layer_gains={}), player)
    assert [item.label.format for _plot, item in tl._markers] == ["→ ambient"]
    assert tl._markers[0][1].value() == (first.sample + 20000) / 8000


def test_gain_lanes_keep_their_layer_and_a_seek_back_leaves_no_stale_line(qtbot):
    from types import SimpleNamespace

    from composer_assist.app.timeline import Timeline
    from composer_assist.core.project import Cue, Variant

    tl = Timeline()
    qtbot.addWidget(tl)
    tl.show_cue(Cue("c", TempoMap.constant(120), length_bars=4, variants=[Variant("a", 0, 0), Variant("b", 0, 0)]))
    for t, gains in ((1.0, {"pad": 1.0, "bass": 0.5}), (2.0, {"pad": 1.0, "bass": 0.5})):
        tl._drawn = 0.0
        tl.show_status(SimpleNamespace(seconds=t, variant="a", intensity=0.5, layer_gains=gains))
    # a seek back: the history restarts, and only the pad plays for now
    tl._drawn = 0.0
    tl.show_status(SimpleNamespace(seconds=0.5, variant="a", intensity=0.5, layer_gains={"keys": 1.0, "pad": 0.2}))
    ticks = [name for _y, name in tl.gains.getAxis("left")._tickLevels[0]]
    assert ticks == ["pad", "bass", "keys"]  # pad and bass keep their lanes
    pad, bass, keys = (item.getData() for _p, item in tl._gain_items)
    assert list(pad[0]) == [0.5] and pad[1][0] == 0 + 0.85 * 0.2
    assert bass[0] is None or len(bass[0]) == 0  # before: the pre-seek line stayed drawn
    assert keys[1][0] == 2 + 0.85


def test_the_decision_log_greys_a_switch_not_heard_yet_and_strikes_one_moved(qtbot):
    from types import SimpleNamespace

    from composer_assist.app.decisions import DecisionLog

    cue, sched = _moved_switch_log()
    sw = sched.switches[0]  # calm -> sad, heard at 15 s
    player = SimpleNamespace(cue=cue, schedule=sched, status=SimpleNamespace(sample=sw.sample - 1),
                             stems=SimpleNamespace(variant_names=[v.name for v in cue.variants]))
    log = DecisionLog()
    qtbot.addWidget(log)
    log.update_from(player)
    rows = {log.item(r, 2).text(): log.item(r, 2).font() for r in range(log.rowCount())}
    assert rows["calm → ambient"].strikeOut()  # moved before it was heard
    assert rows["calm → sad (moved)"].italic() and not rows["calm → sad (moved)"].strikeOut()  # ahead
    player.status = SimpleNamespace(sample=sw.sample)
    log.update_from(player)
    heard = next(log.item(r, 2) for r in range(log.rowCount()) if log.item(r, 2).text() == "calm → sad (moved)")
    assert not heard.font().italic() and "not heard yet" not in heard.toolTip()
    # a narrow pane cuts the last columns: every cell's tip holds the whole decision
    start = log.item(0, 5).toolTip()
    assert start.startswith("0.00 s, bar 1:1: start on calm (") and "V, A " in start, start
    assert log.item(0, 0).toolTip() == start and log.horizontalHeaderItem(4).toolTip().startswith("the (smoothed)")


def test_the_emotion_planes_axes_end_at_the_plane(qtbot):
    from composer_assist.app.emotion_plane import EmotionPlane

    plane = EmotionPlane()
    qtbot.addWidget(plane)
    for side in ("bottom", "left"):
        # the ticks set override the automatic ones (pyqtgraph keeps them in _tickLevels)
        shown = [v for level in plane.getPlotItem().getAxis(side)._tickLevels for v, _ in level]
        assert max(shown) == 1.0 and min(shown) == -1.0  # not 1.5 over the override marker's home


def test_overlapping_arousal_spans_at_one_valence_are_drawn_side_by_side():
    from pathlib import Path

    from composer_assist.app.emotion_plane import SPAN_GAP, _side_by_side
    from composer_assist.core.project import load_project

    cue = load_project(Path(__file__).resolve().parents[2] / "projects" / "demo").cue("night_chase")
    shift = {v.name: _side_by_side(cue.variants, i) for i, v in enumerate(cue.variants)}
    # tense (-0.2..1) and sad (-1..0) share valence -0.6 and overlap: before, one blended bar
    assert shift["tense"] == -shift["sad"] == -SPAN_GAP / 2
    assert shift["calm"] == shift["playful"] == shift["ambient"] == 0.0


def test_the_loop_regions_later_passes_are_shaded_and_the_grid_follows_the_region_played(qtbot):
    import numpy as np

    from composer_assist.app.timeline import Timeline
    from composer_assist.core.trace import Trace

    cue = Cue("c", TempoMap.constant(120), length_bars=4, loop=(4.0, 12.0))  # 2 s a bar; loop bars 2-3
    t = np.arange(0.0, 15.0, 0.5)
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.show_cue(cue, Trace(t, np.zeros_like(t), np.zeros_like(t), name="x"))
    # before, only the first pass (2-6 s) was shaded: the repeats after the cue's end were not
    assert [tuple(item.getRegion()) for _p, item in tl._repeats] == [(6.0, 10.0), (10.0, 14.0), (14.0, 18.0)]

    def bar_labels():
        return [lab for _t, lab in tl.lane.getAxis("top")._tickLevels[0]]

    assert bar_labels() == ["1", "2", "3", "2", "3", "2", "3", "2"]
    tl.set_active_loop((0.0, 4.0))  # "Loop region" ticked on bar 1 alone: the player repeats bar 1
    assert bar_labels() == ["1"] * 8  # before, the grid kept numbering the cue's own loop
    assert [tuple(item.getRegion()) for _p, item in tl._repeats][:2] == [(2.0, 4.0), (4.0, 6.0)]
    tl.set_active_loop(None)
    assert bar_labels() == ["1", "2", "3", "2", "3", "2", "3", "2"]


def test_rows_too_short_for_their_names_are_named_in_the_title(qtbot):
    from types import SimpleNamespace

    from composer_assist.app.timeline import Timeline
    from composer_assist.core.project import Variant

    names = ["calm", "tense", "playful", "sad", "ambient"]
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.show_cue(Cue("c", TempoMap.constant(120), length_bars=4, variants=[Variant(n, 0, 0) for n in names]))
    tl.show_status(SimpleNamespace(seconds=1.0, variant="calm", intensity=0.5,
                                   layer_gains={n: 1.0 for n in ("pad", "keys", "strings", "bass")}))
    tl.show()
    tl.resize(900, 330)  # the timeline's least height: at 1280 x 720 the names overprinted
    qtbot.waitUntil(lambda: tl.lane.getViewBox().height() < 60)
    tl._label_lanes()
    assert tl.lane.getAxis("left")._tickLevels[0] == []
    assert all(n in tl.lane.titleLabel.text for n in names)
    assert "bass, strings, keys, pad" in tl.gains.titleLabel.text
    tl.resize(900, 1000)
    qtbot.waitUntil(lambda: tl.lane.getViewBox().height() > 100)
    tl._label_lanes()
    assert [n for _y, n in tl.lane.getAxis("left")._tickLevels[0]] == names
    assert "calm" not in tl.lane.titleLabel.text
