"""Plugins that segfault or hang are isolated in worker processes: scan and render survive."""

from __future__ import annotations

import subprocess
import sys

import pytest

from composer_assist.core.plugins.trust import trust
from composer_assist.core.levels import rms_dbfs
from composer_assist.audio.render import render_cue
from composer_assist.audio.scan import find_plugin, scan_plugins
from composer_assist.core.errors import PluginError, RenderError

from render_testkit import arpeggio, build_bad_vst, layer, project, write_tone


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_scan_lists_crashing_and_hanging_plugins_as_failed(tmp_path, cache):
    vst = tmp_path / "vst"
    build_bad_vst(vst, "crash")
    build_bad_vst(vst, "hang")
    write_tone(vst)  # a Faust dsp in the same folder
    (vst / "helper.so").write_bytes((vst / "crash_vst.so").read_bytes()[:64])  # not a plugin
    for src in ("/usr/lib/vst/MVerb-vst.so", "/usr/lib/vst/amsynth_vst.so"):
        (vst / src.rsplit("/", 1)[1]).symlink_to(src)
    result = scan_plugins(folders=[vst], timeout=3.0)
    by = {p.path.rsplit("/", 1)[1]: p for p in result.plugins}
    assert not by["crash_vst.so"].ok and "SIGSEGV" in by["crash_vst.so"].error
    assert not by["hang_vst.so"].ok and "hung" in by["hang_vst.so"].error
    assert by["MVerb-vst.so"].ok and by["MVerb-vst.so"].kind == "effect" and by["MVerb-vst.so"].inputs == 2
    assert by["amsynth_vst.so"].ok and by["amsynth_vst.so"].kind == "instrument"
    assert len(by["amsynth_vst.so"].params) == 41
    tone = by["tone.dsp"]
    assert tone.ok and tone.format == "faust" and [p["name"] for p in tone.params] == ["cutoff"]
    assert result.skipped == {str(vst / "helper.so"): "damaged ELF file: its symbol table cannot be read"}
    assert result.probed == 5
    # A rescan only probes what changed.
    (vst / "tone.dsp").write_text((vst / "tone.dsp").read_text() + "\n")
    trust(vst / "tone.dsp")
    again = scan_plugins(folders=[vst], timeout=3.0)
    assert again.probed == 1 and len(again.plugins) == 5
    assert find_plugin("mverb-vst.so", again.plugins).ok
    with pytest.raises(PluginError, match="no scanned plugin named 'MVerb.so'.*MVerb-vst.so"):
        find_plugin("MVerb.so", again.plugins)


def test_scan_command_names_each_skipped_file_and_why(tmp_path, cache, monkeypatch, capsys):
    from composer_assist.audio import scan
    from composer_assist.cli.main import main

    vst = tmp_path / "vst"
    vst.mkdir()
    (vst / "x.so").write_text("not a library\n")
    (vst / "empty.so").write_bytes(b"")
    (vst / "lib").mkdir()
    (vst / "lib" / "noentry.c").write_text("int helper(void) { return 1; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(vst / "lib" / "noentry.so"), str(vst / "lib" / "noentry.c")],
                   check=True)
    (vst / "MVerb-vst.so").symlink_to("/usr/lib/vst/MVerb-vst.so")
    monkeypatch.setattr(scan, "vst2_search_paths", lambda: [vst])
    monkeypatch.setattr(scan, "vst3_search_paths", lambda: [])
    monkeypatch.setattr(scan, "builtin_plugin_dir", lambda: tmp_path / "no-faust")
    assert main(["plugins", "scan"]) == 0
    out = capsys.readouterr().out
    assert "MVerb-vst.so" in out
    assert out.split("skipped, not VST2 plugins (3):\n")[1].split("\n\n")[0].splitlines() == [
        f"  {vst / 'empty.so'}: not an ELF shared library (empty file)",
        f"  {vst / 'lib' / 'noentry.so'}: exports no VST2 entry point (VSTPluginMain or main)",
        f"  {vst / 'x.so'}: not an ELF shared library",
    ]
    assert "1 plugins (0 failed)" in out and "; 3 skipped" in out


def test_render_names_the_crashing_and_hanging_layers_and_renders_the_rest(tmp_path, cache):
    folder = tmp_path / "p"
    crash = build_bad_vst(tmp_path / "bad", "crash")
    hang = build_bad_vst(tmp_path / "bad", "hang")
    tone = write_tone(folder)
    p = project(folder, [layer("good", tone, arpeggio(4)), layer("boom", str(crash), arpeggio(4)),
                         layer("stuck", str(hang), arpeggio(4)),
                         layer("good_vst", "amsynth_vst.so", arpeggio(4))], bars=1)
    r = render_cue(p, "cue", keep_going=True, timeout=3.0)
    errors = {e.layer: e for e in r.errors}
    assert set(errors) == {"boom", "stuck"}
    assert "crash_vst.so" in str(errors["boom"]) and "SIGSEGV" in str(errors["boom"])
    assert "hang_vst.so" in str(errors["stuck"]) and "hung" in str(errors["stuck"])
    assert set(r.stems["main"]) == {"good", "good_vst"}
    assert rms_dbfs(r.stems["main"]["good"]) > -40 and rms_dbfs(r.stems["main"]["good_vst"]) > -40
    # Without keep_going the error names the layer and plugin; the good stems are cached by now.
    p.cues[0].variants[0].layers = p.cues[0].variants[0].layers[:2]
    with pytest.raises(RenderError, match=r"layer 'boom' \(crash_vst.so\): crashed \(SIGSEGV\)"):
        render_cue(p, "cue")
    p.cues[0].variants[0].layers = p.cues[0].variants[0].layers[:1]
    assert render_cue(p, "cue").cached_stems == [("main", "good")]


def test_faust_compiles_after_a_dpf_plugin_switched_on_flush_to_zero(tmp_path):
    # In one process: load DISTRHO MVerb (sets FTZ), then compile a Faust dsp that aborts under
    # FTZ unless our host restores the FP environment first.
    code = f"""
import dawdreamer as daw
from pathlib import Path
from composer_assist.audio.host import load_faust, load_vst
e = daw.RenderEngine(48000, 512)
load_vst(e, "mv", Path("/usr/lib/vst/MVerb-vst.so"), "vst2")
dsp = Path({str(tmp_path / 'rev.dsp')!r})
dsp.write_text('import("stdfaust.lib"); process = no.noise : fi.lowpass(3, 1000) <: re.zita_rev1_stereo(0,200,6000,3,4,48000);')
Path({str(tmp_path / 'rev.json')!r}).write_text('{{"kind": "effect"}}')
load_faust(e, "rev", dsp, "effect")
print("compiled")
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-500:]
    assert "compiled" in run.stdout


REV_DSP = """import("stdfaust.lib");
process = par(i, 2, fi.lowpass(3, 3000)) : re.zita_rev1_stereo(0, 200, 6000, 3, 4, 48000);
"""


def test_a_faust_compile_after_a_dpf_plugin_in_the_same_worker_renders(tmp_path, monkeypatch):
    # Job 1 loads a DPF instrument (Kars) in a fresh worker, which switches that process to
    # flush-to-zero; job 2 then compiles Faust dsps that worker has never seen (fi.lowpass,
    # re.zita_rev1: the compiles that abort under FTZ unless the host resets the FP environment).
    from composer_assist.audio import workers
    from composer_assist.core.project import PluginRef

    monkeypatch.setenv("COMPOSER_ASSIST_CACHE", str(tmp_path / "cache"))
    pool = workers.WorkerPool(1)
    monkeypatch.setattr(workers, "_POOL", pool)
    folder = tmp_path / "p"
    tone = write_tone(folder)
    (folder / "rev.dsp").write_text(REV_DSP)
    trust(folder / "rev.dsp")
    (folder / "rev.json").write_text('{"kind": "effect", "release_s": 3}')
    try:
        dpf = render_cue(project(folder, [layer("kars", "Kars-vst.so", arpeggio(4))], bars=1), "cue", jobs=1)
        [worker] = pool._workers
        faust = render_cue(project(folder, [layer("faust", tone, arpeggio(4), effects=[PluginRef("./rev.dsp")])],
                                   bars=1), "cue", jobs=1)
        assert pool._workers == [worker] and worker.done == 2  # the same process ran both jobs
    finally:
        pool.close()
    assert rms_dbfs(dpf.stems["main"]["kars"]) > -40
    assert rms_dbfs(faust.stems["main"]["faust"]) > -40
