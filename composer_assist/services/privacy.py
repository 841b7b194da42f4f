"""``composer-assist privacy PKG|MODEL|PROFILES.json``: what a package or a model holds about people,
the k of each cluster, what the runtime reads and what it sends.

A report is built from the file itself (a package folder or zip, a listener model ``.npz``, or an
exported profiles JSON), never from what the file says about itself alone: every JSON document
and model array is scanned for fields that describe a person (``privacy_scan.personal_fields``),
cluster sizes are read from the profiles, and the runtime's source is checked for network
imports.  With ``ids`` (e.g. the listener ids of a feedback log) every byte of every file is
searched for each id as well.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from composer_assist.core.errors import ModelStoreError

from .privacy_scan import PERSONAL_KEYS, Finding, find_ids, network_imports, personal_fields, runtime_modules

VIEWER_READS = [
    "the viewer's emotion stream, sample by sample (--emotion sensed only; a trace file, OSC on this "
    "machine, or calls from code) -- used there to choose the music, written nowhere",
    "the viewer's own feedback events, or a chosen cluster, to pick their listener cluster on the "
    "device with the package's assignment tables",
]


@dataclass
class PrivacyReport:
    kind: str  # "package", "model" or "profiles"
    path: str
    personal: list[Finding] = field(default_factory=list)
    clusters: list[tuple[str, int]] = field(default_factory=list)  # (name, listeners)
    min_cluster_size: int | None = None
    notes: list[str] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    sends: list[Finding] = field(default_factory=list)  # network imports of the runtime: none expected
    runtime_files: int = 0

    @property
    def small(self) -> list[tuple[str, int]]:
        """Clusters under the k the file states (or under 1 listener when it states none)."""
        k = self.min_cluster_size or 1
        return [(n, s) for n, s in self.clusters if 0 < s < k]

    @property
    def clean(self) -> bool:
        return not self.personal and not self.small and not self.sends

    def lines(self) -> list[str]:
        out = [f"Privacy report for {self.kind} {self.path}", "",
               "Fields that could describe a person:"]
        out += [f"  ! {f}" for f in self.personal] or ["  none"]
        out += ["", "Listener clusters (k = listeners in each):"]
        if self.clusters:
            out += [f"  {name}: k = {size}" + ("  ! under the minimum" if (name, size) in self.small else "")
                    for name, size in self.clusters]
            stated = f"{self.min_cluster_size}" if self.min_cluster_size else "not stated (an older file)"
            out.append(f"  minimum cluster size: {stated}")
        else:
            out.append("  none (no listener profiles)")
        out += [f"  note: {n}" for n in self.notes]
        out += ["", "What the runtime reads:"] + [f"  - {r}" for r in self.reads]
        out += ["", "What the runtime sends:"]
        out += [f"  ! {f}" for f in self.sends] or [
            f"  nothing: none of its {self.runtime_files} modules (runtime, playback, core) imports a network "
            f"library; it plays to a file or a local audio device"]
        out += ["", "Result: " + ("nothing here describes a person" if self.clean else "PROBLEMS above (marked !)")]
        return out


def _search_ids(report: PrivacyReport, files: list[Path], ids: Iterable[str]) -> None:
    """Every id of ``ids`` in ``files``: findings, and a note of the matches that are coincidences
    inside coded data (compressed audio frames, packed zip bytes: privacy_scan.find_ids)."""
    chance: list[Finding] = []
    report.personal += find_ids(files, ids, chance)
    if chance:
        report.notes.append(f"{len(chance)} byte match(es) of a listener id inside compressed audio frames or "
                            f"packed zip data, searched unpacked as well: a short id coinciding with coded bytes, "
                            f"not listener data ({'; '.join(str(c) for c in chance[:3])}"
                            f"{'; ...' if len(chance) > 3 else ''})")


def _clusters_of(profiles: Any) -> list[tuple[str, int]]:
    items = profiles if isinstance(profiles, list) else []
    return [(str(p.get("name") or p.get("cluster")), int(p.get("size", 0))) for p in items if isinstance(p, dict)]


def _profiles_part(report: PrivacyReport, data: Any, where: str) -> None:
    """Clusters, k and notes of an exported profiles document (``learn export-profiles`` JSON)."""
    if not isinstance(data, dict):
        return
    report.clusters = _clusters_of(data.get("profiles"))
    privacy = data.get("privacy") if isinstance(data.get("privacy"), dict) else {}
    report.min_cluster_size = privacy.get("min_cluster_size")
    report.notes += [str(n) for n in privacy.get("notes", [])]
    total = sum(s for _, s in report.clusters)
    report.personal += personal_fields(data, where, total or None)


def _runtime(report: PrivacyReport) -> None:
    report.sends = network_imports()
    report.runtime_files = len(runtime_modules())


def package_report(path: str | Path, ids: Iterable[str] | None = None) -> PrivacyReport:
    """The report of a package folder or zip (every file checked against the manifest as it is read)."""
    from composer_assist.runtime.source import PackageSource

    src = PackageSource(path)
    try:
        report = PrivacyReport("package", str(path))
        m = src.manifest
        report.personal += personal_fields(m, "manifest.json")
        files = sorted(src.declared)
        for rel in files:
            if rel.endswith(".json") and rel != "manifest.schema.json":
                data = json.loads(src.read_bytes(rel).decode("utf-8"))
                if rel == (m.get("listeners") or {}).get("path"):
                    _profiles_part(report, data, rel)
                else:
                    report.personal += personal_fields(data, rel)
        src.verify_all()
    finally:
        src.close()
    stems = sum(f.endswith((".flac", ".opus")) for f in files)
    report.reads = [f"the package: manifest.json and its {len(files)} files ({stems} stems), each checked "
                    f"against its SHA-256"] + VIEWER_READS[:1 + bool(m.get("listeners"))]
    if m.get("scene_curve"):
        report.reads.append("with --emotion scene: the title's scene curve from the package, not the viewer")
    _runtime(report)
    if ids is not None:
        p = Path(path)
        every = [p] if p.is_file() else sorted(q for q in p.rglob("*") if q.is_file())
        _search_ids(report, every, ids)
    return report


def model_report(path: Path, ids: Iterable[str] | None = None) -> PrivacyReport:
    """The report of a listener model file (read as data; nothing in it is run)."""
    from composer_assist.learn.store import decode_model_file

    meta, arrays = decode_model_file(path.read_bytes(), str(path))
    report = PrivacyReport("model", str(path))
    profiles = meta.get("profiles") if isinstance(meta.get("profiles"), dict) else {}
    report.clusters = _clusters_of(profiles.get("profiles"))
    total = sum(s for _, s in report.clusters)
    model = meta.get("model") if isinstance(meta.get("model"), dict) else {}
    k = model.get("min_cluster_size_")
    if isinstance(k, dict) and k.get("array") in arrays:
        report.min_cluster_size = int(arrays[k["array"]])
    notes = model.get("privacy_notes_")
    if isinstance(notes, dict) and notes.get("kind") == "strs":
        report.notes += [str(n) for n in notes.get("value", [])]
    report.personal += personal_fields(meta, "meta", total or None)
    for name, a in sorted(arrays.items()):
        if PERSONAL_KEYS.fullmatch(name.split(".")[-1].lower().rstrip("_")):
            report.personal.append(Finding(name, "an array that names a person or what they did"))
        elif total > 1 and a.ndim >= 1 and a.shape[0] == total:
            report.personal.append(Finding(name, f"{a.shape[0]} rows: one per listener"))
    report.reads = ["nothing: the runtime never reads a model file; a package carries the clusters' profiles "
                    "and assignment tables (`learn export-profiles`)"]
    _runtime(report)
    if ids is not None:
        _search_ids(report, [path], ids)
    return report


def profiles_report(path: Path, ids: Iterable[str] | None = None) -> PrivacyReport:
    """The report of an exported profiles JSON."""
    from composer_assist.learn.tables import load_export

    report = PrivacyReport("profiles", str(path))
    _profiles_part(report, load_export(path), path.name)
    report.reads = ["the runtime reads these profiles and tables when they ship in a package"] + VIEWER_READS
    _runtime(report)
    if ids is not None:
        _search_ids(report, [path], ids)
    return report


def privacy_report(target: str, store: str | None = None, project: str | None = None,
                   ids: Iterable[str] | None = None) -> PrivacyReport:
    """The report of ``target``: a package folder or zip, a model (file or name in the store), or profiles JSON."""
    p = Path(target)
    if p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"):
        return package_report(p, ids)
    if p.is_file() and p.suffix.lower() == ".json":
        return profiles_report(p, ids)
    if p.is_file() and p.suffix.lower() == ".npz":
        return model_report(p, ids)
    if not p.exists() and (len(p.parts) > 1 or p.suffix):
        raise ModelStoreError(f"{target}: no such package, model or profiles file")
    if p.is_file():  # a file of another kind (a feedback log, a trace): not a model name in the store
        raise ModelStoreError(f"{target}: neither a package (folder or .zip), a profiles .json nor a model .npz")
    from composer_assist.learn.store import ModelStore, default_store_dir

    path = ModelStore(store if store else default_store_dir(project)).path_for(target)
    if not path.is_file():
        raise ModelStoreError(f"{target}: neither a package (folder or .zip), a profiles .json, a model "
                                  f".npz nor a model in the store {path.parent}")
    return model_report(path, ids)


__all__ = ["PrivacyReport", "model_report", "package_report", "privacy_report", "profiles_report"]
