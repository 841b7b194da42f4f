"""The timeline's bar grid follows the cue as the player plays it: to the loop's end, then the loop."""

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
