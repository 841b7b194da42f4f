"""`plugins trust` records only what could be a plugin: trusting a file lets it run."""

from __future__ import annotations

from composer_assist.cli.main import main


def test_trusting_a_file_that_is_no_plugin_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    notes = tmp_path / "passwd"
    notes.write_text("root:x:0:0\n")
    # before: "trusted .../passwd (remembered in ...)"
    assert main(["plugins", "trust", str(notes)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a plugin" in err and ".vst3" in err and ".dsp" in err, err
    assert not (tmp_path / "config" / "composer-assist" / "trusted-plugins.json").exists()
    dsp = tmp_path / "tone.dsp"
    dsp.write_text('import("stdfaust.lib"); process = 0;\n')
    assert main(["plugins", "trust", str(dsp)]) == 0
    assert "trusted" in capsys.readouterr().out
