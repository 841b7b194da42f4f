"""The shared test vector of decisions (tests/data/package/short_swing.decisions.json, written by
the reference runtime for the package tests' short cue and swing.csv): the page's engine, run dry
over the same cue and trace in chromium, gives it entry for entry, in both modes."""

from __future__ import annotations

import importlib.util
import json

import pytest

VECTOR_JS = """async ([base, manifest, length, trace]) => {
  const { cueOf } = await import(base + '/js/package.js');
  const { buildStemSet } = await import(base + '/js/stems.js');
  const { decisionsVector } = await import(base + '/js/engine.js');
  const cue = cueOf(manifest);
  const silent = () => [new Float32Array(length), new Float32Array(length)];  // decisions need no audio
  const audio = Object.fromEntries(cue.variants.map((v) => [v.name, Object.fromEntries(v.layers.map((l) => [l.name, silent()]))]));
  const stems = buildStemSet(cue, manifest.sample_rate, audio);
  return { live: decisionsVector(stems, { mode: 'sensed', trace }), planned: decisionsVector(stems, { mode: 'scene', trace }) };
}"""




def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_page_gives_the_shared_decisions_vector(browser, player_url, root, tmp_path):
    from composer_assist.core.project.files import load_project
    from composer_assist.core.trace import load_trace

    kit = _load(root / "tests/package/package_testkit.py", "package_testkit")
    manifest_of = _load(root / "tests/web/test_js_core.py", "web_js_core")._manifest
    cue = load_project(kit.write_project(tmp_path / "short")).cue("short")
    manifest = manifest_of(cue, 48000)
    manifest["stingers"] = [{"name": s.name} for s in cue.stingers]
    trace = load_trace(root / "tests/data/package/swing.csv")
    data = {"times": trace.times.tolist(), "valence": trace.valence.tolist(), "arousal": trace.arousal.tolist(),
            "heartRate": None}
    vector = json.loads((root / "tests/data/package/short_swing.decisions.json").read_text())
    assert vector["block"] == 512
    page = browser.new_page()
    page.goto(f"{player_url}/style.css")
    got = page.evaluate(VECTOR_JS, [player_url, manifest, cue.length_samples(48000), data])
    page.close()
    for mode in ("live", "planned"):
        assert got[mode] == vector["modes"][mode]
    assert any(e["kind"] == "switch" for e in got["live"]) and any(e["kind"] == "switch" for e in got["planned"])
