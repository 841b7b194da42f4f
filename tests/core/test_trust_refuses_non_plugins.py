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


def test_a_library_beside_a_trusted_dsp_changed_or_planted_untrusts_it(tmp_path, monkeypatch):
    from composer_assist.core.plugins.trust import is_trusted, trust

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    proj = tmp_path / "downloaded"
    proj.mkdir()
    dsp = proj / "mine.dsp"
    dsp.write_text('import("stdfaust.lib"); import("helper.lib"); process = helper;\n')
    (proj / "helper.lib").write_text("helper = 0;\n")
    trust(dsp)
    assert is_trusted(dsp)
    # the compiler searches the dsp's folder first: before, only mine.dsp was fingerprinted, so
    # an edited helper.lib or a planted stdfaust.lib ran under the old trust
    (proj / "helper.lib").write_text("helper = os.osc(440);\n")
    assert not is_trusted(dsp)
    trust(dsp)
    (proj / "stdfaust.lib").write_text("os = library(\"evil.lib\");\n")
    assert not is_trusted(dsp)


def test_a_damaged_trusted_plugins_file_is_one_line_naming_it(tmp_path, monkeypatch, capsys):
    import json

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    f = tmp_path / "config" / "composer-assist" / "trusted-plugins.json"
    f.parent.mkdir(parents=True)
    f.write_text(json.dumps({"schema_version": 1, "plugins": {str(tmp_path / "x.dsp"): "trusted"}}))
    dsp = tmp_path / "x.dsp"
    dsp.write_text("process = 0;\n")
    # before: AttributeError: 'str' object has no attribute 'get' (validate and render)
    assert main(["plugins", "trust", str(dsp)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "trusted-plugins.json: not a trusted-plugins file" in err


def test_trust_covers_a_dsp_the_trusted_one_names_but_not_unrelated_neighbours(tmp_path, monkeypatch):
    from composer_assist.core.plugins.trust import is_trusted, trust

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    dsp = tmp_path / "mine.dsp"
    dsp.write_text('process = component("voice.dsp");\n')
    (tmp_path / "voice.dsp").write_text("process = 0;\n")
    trust(dsp)
    (tmp_path / "other.dsp").write_text("process = 1;\n")  # a second plugin of the project
    assert is_trusted(dsp)
    (tmp_path / "voice.dsp").write_text("process = 2;\n")  # what mine.dsp runs
    assert not is_trusted(dsp)
