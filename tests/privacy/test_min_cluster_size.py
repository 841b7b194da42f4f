"""A cluster of fewer than k listeners (k = 50 by default) is never saved or exported: merged into
its nearest cluster when the model is at hand, dropped from a profiles file otherwise, with a note."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.learn.feedback_log import load_feedback_log, save_feedback_log
from composer_assist.learn.population import load_planted
from composer_assist.learn.store import ModelStore
from composer_assist.learn.tables import assign_from_export, tables_from_export
from composer_assist.services.package import listeners_json

DEMO = Path(__file__).resolve().parents[2] / "projects" / "demo" / "listeners"


@pytest.fixture(scope="module")
def skewed_log(tmp_path_factory) -> Path:
    """The demo's listeners of three planted groups, and only 20 of the fourth."""
    log = load_feedback_log(DEMO / "feedback.csv")
    planted = load_planted(DEMO / "planted.csv", log.listener_ids)
    few = np.flatnonzero(planted == 3)[:20]
    keep = (planted != 3) | np.isin(np.arange(log.n_listeners), few)
    keep &= np.arange(log.n_listeners) % 2 == 0  # half the rest: a quicker fit
    keep[few] = True
    path = tmp_path_factory.mktemp("skewed") / "feedback.csv"
    save_feedback_log(log.take(keep[log.listener]), path)
    return path


def _fit(log: Path, store: Path, *extra: str) -> int:
    return main(["learn", "fit", str(log), "-o", "taste", "--store", str(store), "--holdout", "0",
                 "--clusters", "4", "--planted", str(DEMO / "planted.csv"), *extra])


def test_small_cluster_is_merged_before_saving(skewed_log, tmp_path, capsys):
    assert _fit(skewed_log, tmp_path / "all", "--min-cluster-size", "1") == 0
    _, meta = ModelStore(tmp_path / "all").read_meta("taste")
    sizes = sorted(p["size"] for p in meta["profiles"]["profiles"])
    assert sizes[0] < 50 and len(sizes) == 4  # the fit does find the small group (so the test can fail)
    capsys.readouterr()
    assert _fit(skewed_log, tmp_path / "k") == 0
    err = capsys.readouterr().err
    # the note names the clusters as `learn report` labelled them
    assert re.search(rf"note: a cluster of {sizes[0]} listeners \(fewer than 50, [a-z ]+\) was merged into its "
                     rf"nearest cluster, [a-z ]+, which now has \d+", err), err
    _, meta = ModelStore(tmp_path / "k").read_meta("taste")
    profiles = meta["profiles"]["profiles"]
    assert len(profiles) == 3 and min(p["size"] for p in profiles) >= 50 and sum(p["size"] for p in profiles) == sum(sizes)
    assert any("merged" in n for n in meta["model"]["privacy_notes_"]["value"])
    out = tmp_path / "p.json"
    assert main(["learn", "export-profiles", "taste", "--store", str(tmp_path / "k"), "-o", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["privacy"]["min_cluster_size"] == 50 and len(data["privacy"]["notes"]) == 1
    assert [p["cluster"] for p in data["profiles"]] == [0, 1, 2] and len(data["assignment"]["log_prior"]) == 3


def test_export_merges_again_with_a_larger_k(skewed_log, tmp_path, capsys):
    assert _fit(skewed_log, tmp_path, "--min-cluster-size", "1") == 0
    out = tmp_path / "p.json"
    assert main(["learn", "export-profiles", "taste", "--store", str(tmp_path), "-o", str(out),
                 "--min-cluster-size", "300"]) == 0
    data = json.loads(out.read_text())
    assert all(p["size"] >= 300 for p in data["profiles"]) and data["privacy"]["min_cluster_size"] == 300
    assert "merged into its nearest cluster" in capsys.readouterr().err
    tables_from_export(data, "p.json")  # profiles and tables still agree


def test_profiles_file_with_a_small_cluster_is_cut_before_it_ships(skewed_log, tmp_path):
    assert _fit(skewed_log, tmp_path, "--min-cluster-size", "1") == 0
    path = tmp_path / "p1.json"
    assert main(["learn", "export-profiles", "taste", "--store", str(tmp_path), "-o", str(path),
                 "--min-cluster-size", "1"]) == 0
    raw = json.loads(path.read_text())
    small = [p for p in raw["profiles"] if p["size"] < 50]
    assert len(small) == 1
    shipped = listeners_json(profiles=str(path))  # what `export --profiles p1.json` puts in a package
    assert [p["name"] for p in shipped["profiles"]] == [p["name"] for p in raw["profiles"] if p["size"] >= 50]
    assert shipped["privacy"]["notes"] == [f"a cluster of {small[0]['size']} listeners (fewer than 50) was dropped"]
    profiles, tables = tables_from_export(shipped, "shipped")
    assert tables.n_clusters == 3
    events = [{"cue": "night_chase", "variant": "tense", "valence": -0.5, "arousal": 0.6, "kept": 1}]
    assert assign_from_export(shipped, events).cluster in (0, 1, 2)


def test_too_few_listeners_in_all_is_refused(tmp_path, capsys):
    log = load_feedback_log(DEMO / "feedback.csv")
    path = tmp_path / "few.csv"
    save_feedback_log(log.take(log.listener < 30), path)
    assert main(["learn", "fit", str(path), "-o", "taste", "--store", str(tmp_path), "--holdout", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert "only 30 listeners in all, fewer than the minimum cluster size 50" in err and "\n" not in err
    assert not (tmp_path / "taste.npz").exists()
    assert main(["learn", "fit", str(path), "-o", "taste", "--store", str(tmp_path), "--holdout", "0",
                 "--min-cluster-size", "0"]) == 2
    assert "--min-cluster-size: 0 must be a whole number >= 1" in capsys.readouterr().err
