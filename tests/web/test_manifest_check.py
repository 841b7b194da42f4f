"""The page's manifest check (js/manifestCheck.js) against the Python runtime's
(runtime/manifest_check.py), in chromium: on every one-field hand edit of a real manifest both
refuse the same manifests and name the same field.  No audio: quick."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from composer_assist.core.errors import PackageError
from composer_assist.runtime.manifest_check import check_manifest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "package"))
from package_testkit import DELETE, edited, field_name, one_field_edits  # noqa: E402

CHECK_JS = """async ([base, manifest, edits]) => {
  const { checkManifest } = await import(base + '/js/manifestCheck.js');
  return edits.map(([path, value, remove]) => {
    const m = structuredClone(manifest);
    let parent = m;
    for (const key of path.slice(0, -1)) parent = parent[key];
    const key = path[path.length - 1];
    if (!remove) parent[key] = value;
    else if (Array.isArray(parent)) parent.splice(key, 1);
    else delete parent[key];
    try { checkManifest(m); return null; } catch (e) { return e.message; }
  });
}"""


def _named(message: str | None) -> str | None:
    """What a complaint names: ``manifest.json: cue.tempo``, or the file (``stems/x.flac``)."""
    if message is None:
        return None
    parts = message.split(": ")
    return ": ".join(parts[:2]) if parts[0] == "manifest.json" else parts[0]


def test_the_page_refuses_the_manifests_the_runtime_refuses(browser, player_url, web_package):
    manifest = json.loads((web_package[1] / "manifest.json").read_text())
    edits = list(one_field_edits(manifest))
    fail = lambda message, member=None: PackageError(f"{web_package[1]}: {member}: {message}")  # noqa: E731
    python = []
    for path, value in edits:
        try:
            check_manifest(edited(manifest, path, value), fail)
            python.append(None)
        except PackageError as exc:
            python.append(_named(str(exc)[len(str(web_package[1])) + 2:]))
    page = browser.new_page()
    try:
        page.goto(player_url + "/index.html")
        js = page.evaluate(CHECK_JS, [player_url, manifest,
                                      [[list(p), None if v is DELETE else v, v is DELETE] for p, v in edits]])
    finally:
        page.close()
    differ = [(field_name(p), "DELETE" if v is DELETE else v, a, _named(b))
              for (p, v), a, b in zip(edits, python, js) if a != _named(b)]
    assert not differ, differ[:40]
    assert sum(a is not None for a in python) > 3000
