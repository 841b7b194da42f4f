"""One model, one profiles file and one package exported from the demo, shared by the privacy tests."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from composer_assist.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "projects" / "demo"
LOG = DEMO / "listeners" / "feedback.csv"
SCENE = ROOT / "projects" / "traces" / "thriller_buildup.csv"


@dataclass
class DemoExport:
    store: Path
    model: Path
    profiles: Path
    package: Path
    package_zip: Path


@pytest.fixture(scope="session")
def demo_export(tmp_path_factory) -> DemoExport:
    """The demo's listeners fitted (k = 50), their profiles exported, and the demo cue exported as a
    package with those listeners and a scene curve (renders the demo's stems once), also zipped."""
    tmp = tmp_path_factory.mktemp("privacy")
    store = tmp / "store"
    assert main(["learn", "fit", str(LOG), "-o", "taste", "--store", str(store), "--holdout", "0"]) == 0
    assert main(["learn", "export-profiles", "taste", "--store", str(store), "-o", str(tmp / "profiles.json")]) == 0
    assert main(["export", str(DEMO), "--cue", "night_chase", "-o", str(tmp / "pkg"), "--listener-model", "taste",
                 "--store", str(store), "--scene-curve", str(SCENE)]) == 0
    # the same package as a zip (deflated, as a service might ship it; `export --zip` is tested with the packages)
    with zipfile.ZipFile(tmp / "pkg.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted((tmp / "pkg").rglob("*")):
            if p.is_file():
                z.write(p, p.relative_to(tmp / "pkg").as_posix())
    return DemoExport(store, store / "taste.npz", tmp / "profiles.json", tmp / "pkg", tmp / "pkg.zip")
