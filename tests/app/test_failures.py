"""A plugin that crashes while its stem renders is a message; the studio keeps running."""

from __future__ import annotations

from composer_assist.core.project import load_project, save_project

from qt_testkit import wait_playing
from render_testkit import arpeggio, build_bad_vst, layer


def test_a_crashing_plugin_in_a_layer_is_reported_and_the_app_stays_alive(window, small, tmp_path, qtbot):
    crash = build_bad_vst(tmp_path / "bad", "crash")
    p = load_project(small)
    p.cues[0].variants[0].layers.append(layer("boom", str(crash), arpeggio(4)))
    save_project(p)
    assert window.open_project(small)
    window.play_pause()
    qtbot.waitUntil(lambda: bool(window.errors), timeout=60000)
    assert "boom" in window.errors[-1] and "crash_vst.so" in window.errors[-1]
    assert window.transport.player is None and window.transport.starting is None
    assert window._last_box.isVisible() and "boom" in window._last_box.text()
    # still alive: the project can be edited and, without the layer, played
    window._last_box.close()
    window.tree.select_path(("cue", "calm", "boom"))
    from composer_assist.core.edit import Loc, remove

    window.edit(lambda proj: remove(proj, Loc("cue", "calm", "boom")))
    window.errors.clear()
    window.play_pause()
    wait_playing(qtbot, window)
    assert window.transport.player.status.state == "playing"


def test_screenshot_option_writes_a_png_per_main_state(small, tmp_path, qtbot):
    import argparse

    from PyQt6.QtGui import QImage

    from composer_assist.app.main import add_arguments, run

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = tmp_path / "shots"
    assert run(parser.parse_args([str(small), "--screenshot", str(out)])) == 0
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["1-editing.png", "2-layer.png", "3-playing.png", "4-transition-matrix.png", "5-listeners.png"]
    image = QImage(str(out / "3-playing.png"))
    assert image.width() >= 1200 and image.height() >= 800


def test_plugin_browser_lists_a_plugin_that_crashed_in_the_scan_with_why(window, tmp_path, qtbot):
    from PyQt6.QtCore import Qt

    from composer_assist.app.plugin_browser import PluginBrowser, all_entries
    from composer_assist.audio.scan import scan_plugins

    folder = tmp_path / "vst"
    build_bad_vst(folder, "crash")
    result = scan_plugins(folders=[folder])  # each probe in its own process: the crash stays there
    window._scanned(result)
    assert "crash_vst.so" in window.errors[-1] and "failed the scan" in window.errors[-1]
    browser = PluginBrowser(all_entries(), "instrument", window)
    qtbot.addWidget(browser)
    rows = {browser.tree.topLevelItem(i).text(0): browser.tree.topLevelItem(i)
            for i in range(browser.tree.topLevelItemCount())}
    crashed = next(item for text, item in rows.items() if "crash_vst.so" in text)
    assert crashed.text(3).startswith("failed:") and not crashed.flags() & Qt.ItemFlag.ItemIsEnabled
    keys = next(item for text, item in rows.items() if "(keys)" in text)
    assert keys.text(3) == "ok" and keys.flags() & Qt.ItemFlag.ItemIsEnabled


def test_plugin_browser_ok_without_a_click_keeps_the_plugin(window, qtbot):
    from PyQt6.QtCore import Qt

    from composer_assist.app.plugin_browser import PluginBrowser, all_entries

    # The slot's plugin starts selected: OK keeps it (before, the first usable row was the
    # current item, and OK turned a drums layer into the sub bass).
    browser = PluginBrowser(all_entries(), "instrument", window, current="drums")
    qtbot.addWidget(browser)
    assert browser.chosen() == "drums" and browser.ok.isEnabled()
    # No plugin in the slot yet: nothing is chosen until one is clicked, and OK waits.
    empty = PluginBrowser(all_entries(), "effect", window)
    qtbot.addWidget(empty)
    assert empty.chosen() is None and not empty.ok.isEnabled()
    rows = [empty.tree.topLevelItem(i) for i in range(empty.tree.topLevelItemCount())]
    effect = next(i for i in rows if i.flags() & Qt.ItemFlag.ItemIsEnabled)
    empty.tree.setCurrentItem(effect)
    assert empty.chosen() == effect.data(0, Qt.ItemDataRole.UserRole) and empty.ok.isEnabled()
    # An instrument offered for an effect slot is greyed and says why, not "ok".
    instrument = next(i for i in rows if i.text(2) == "instrument")
    assert instrument.text(3) == "not an effect"


def test_gui_with_a_missing_project_or_trace_is_one_line_and_exit_status_2(small, tmp_path, qtbot, capsys):
    from composer_assist.cli.main import main

    assert main(["gui", str(tmp_path / "nope"), "--screenshot", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0] and err[0].startswith("error:")
    assert main(["gui", str(small), "--trace", str(tmp_path / "missing.csv"), "--screenshot", str(tmp_path / "s")]) == 2
    assert "missing.csv" in capsys.readouterr().err


def test_screenshots_print_no_offscreen_platform_noise(small, tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "COMPOSER_ASSIST_STUDIO_SETTINGS": str(tmp_path / "s.ini")}
    done = subprocess.run([sys.executable, "-m", "composer_assist", "gui", str(small), "--screenshot",
                           str(tmp_path / "shots")], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    # before: "This plugin does not support propagateSizeHints()" on every run
    assert "propagateSizeHints" not in done.stderr
