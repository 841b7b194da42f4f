"""Fixtures of the web player tests: a real cue package (the demo's night_chase cut to 4 bars and
two variants plus a stinger, rendered by DawDreamer and exported with --web and a scene curve), served by a
local http.server on 127.0.0.1, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

import pytest

SENSED = "sensed.csv"  # the viewer's trace: calm, tense from ~6 s, calm again from ~14 s
SCENE = "scene.csv"  # the title's scene curve: calm, tense from ~10 s


def _trace_csv(path: Path, points: list[tuple[float, float, float]], heart_rate: bool) -> Path:
    """A 2 Hz trace through (time, valence, arousal) points, linearly between them."""
    import numpy as np

    t = np.arange(0.0, points[-1][0] + 1e-9, 0.5)
    v = np.interp(t, [p[0] for p in points], [p[1] for p in points])
    a = np.interp(t, [p[0] for p in points], [p[2] for p in points])
    head = "time_s,valence,arousal" + (",heart_rate" if heart_rate else "")
    rows = [f"{x:g},{y:.4f},{z:.4f}" + (f",{72 + 20 * (z + 1) / 2:.1f}" if heart_rate else "")
            for x, y, z in zip(t, v, a)]
    path.write_text("# scale: [-1,1]\n" + head + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


CONTEXTS = ["high_arousal_positive", "high_arousal_negative", "low_arousal_positive", "low_arousal_negative"]


def _listeners() -> dict:
    """Two listener clusters (the `learn export-profiles` JSON): one drawn to tense music, one to calm.

    Written out rather than fitted (a fit of the demo log takes ~10 s); the runtime reads the same
    file, so both sides assign and steer from identical numbers."""
    import math

    def profile(cluster, name, v_shift, a_shift, likes):
        ctx = {c: {"valence_shift": v_shift, "arousal_shift": a_shift, "tag_weights": {likes: 0.4}} for c in CONTEXTS}
        return {"cluster": cluster, "name": name, "label": name.replace("-", " "), "size": 60, "share": 0.5,
                "contexts": ctx, "description": []}

    keep = {0: {"calm": 0.3, "tense": 0.85}, 1: {"calm": 0.8, "tense": 0.25}}  # P(kept) by cluster, variant
    log_keep = [[[[math.log(1 - keep[k][v]), math.log(keep[k][v])] for v in ("calm", "tense")] for _ in CONTEXTS]
                for k in (0, 1)]
    log_rating = [[[[math.log(1 / 6)] * 6 for _ in range(2)] for _ in CONTEXTS] for _ in (0, 1)]
    return {"schema_version": 1,
            "profiles": [profile(0, "suspense-lovers", -0.2, 0.3, "tense"), profile(1, "comfort-seekers", 0.2, -0.3, "calm")],
            "assignment": {"schema_version": 1, "contexts": CONTEXTS, "rating_levels": 6,
                           "variants": [{"cue": "night_chase", "variant": "calm"}, {"cue": "night_chase", "variant": "tense"}],
                           "log_prior": [math.log(0.5), math.log(0.5)], "log_keep": log_keep, "log_rating": log_rating}}


def _feedback(path: Path) -> Path:
    """A viewer's own feedback log: skips calm, keeps tense (a suspense lover)."""
    rows = [f"V1,{1700000000 + i},night_chase,{v},0.3,0.4,{k},5.0,," for i, (v, k) in
            enumerate([("calm", 0), ("tense", 1), ("calm", 0), ("tense", 1), ("tense", 1), ("calm", 1)])]
    path.write_text("listener,timestamp,cue,variant,valence,arousal,kept,dwell,rating,physio\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="session")
def web_package(tmp_path_factory, root):
    """(served folder, package folder, sensed trace path, scene trace path)."""
    from composer_assist.core.project import Clip, Layer, Note, PluginRef
    from composer_assist.core.project.files import load_project
    from composer_assist.core.trace import load_trace
    from composer_assist.package.export import default_web_player, export_package

    base = tmp_path_factory.mktemp("web")
    sensed = _trace_csv(base / SENSED, [(0, 0.5, -0.5), (5, 0.5, -0.5), (7, -0.6, 0.7), (13, -0.6, 0.7),
                                        (15, 0.5, -0.5), (20, 0.5, -0.5)], heart_rate=True)
    scene = _trace_csv(base / SCENE, [(0, 0.4, -0.4), (9, 0.4, -0.4), (11, -0.5, 0.6), (20, -0.5, 0.6)],
                       heart_rate=False)
    project = load_project(root / "projects" / "demo")
    cue = project.cue("night_chase")
    cue.length_bars, cue.loop = 4, (0.0, 16.0)  # 10 s of music: a quick real render
    cue.variants = [v for v in cue.variants if v.name in ("calm", "tense")]
    # Both variants strike the same loud note every eighth in the cue's second half: in a
    # crossfade there the two add up past either alone, so the transition's peak guard
    # (levelTrim.js) is in what is compared.
    hits = Clip(notes=[Note(0.5 * k, 0.25, 74, 127) for k in range(16, 32)])
    for v in cue.variants:
        v.layers.append(Layer(name="hits", instrument=PluginRef("keys"), clips=[hits]))
    # A stinger on the way into tense, so the page's stinger voices are compared too.
    cue.stingers = [Layer(name="hit", instrument=PluginRef("keys"), gain_db=-6.0,
                          clips=[Clip(notes=[Note(0.0, 0.5, 81, 100), Note(0.0, 0.5, 86, 100)])])]
    next(r for r in cue.transitions if r.target == "tense").stinger = "hit"
    served = base / "site"
    export_package(project, "night_chase", served / "pkg", web=True, web_player=default_web_player(),
                   scene_curve=load_trace(scene), listeners=_listeners())
    _feedback(base / "feedback.csv")
    return served, served / "pkg", sensed, scene


SERVED: list[str] = []  # every path the local server was asked for (worklet modules included)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep the test output readable
        pass

    def send_head(self):
        SERVED.append(self.path)
        return super().send_head()


@contextlib.contextmanager
def _serve(folder: Path, handler=http.server.SimpleHTTPRequestHandler):
    """http://127.0.0.1:PORT serving ``folder`` on a thread, for as long as the block runs."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def http_root(web_package):
    """http://127.0.0.1:PORT serving the folder that holds the package (and a tampered copy)."""
    with _serve(web_package[0], _Quiet) as url:
        yield url


class _Silent(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def player_url(root):
    """http://127.0.0.1:PORT serving the repository's player/ (the page's modules, no package)."""
    with _serve(root / "player", _Silent) as url:
        yield url


@pytest.fixture(scope="session")
def served_paths(http_root) -> list[str]:
    """Every path the local server has been asked for so far."""
    return SERVED


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium",
                              args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        yield b
        b.close()
