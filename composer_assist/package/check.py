"""``validate`` for a package folder or zip: safety (``runtime.source``), schema, references, checksums.

Names the first problem in one line.  Nothing is extracted (zip members are streamed into the
hash) and nothing in the package is executed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from composer_assist.core.errors import PackageError
from composer_assist.runtime.format import MANIFEST_NAME
from composer_assist.runtime.source import PackageSource

from .manifest import Manifest


@dataclass
class PackageSummary:
    path: Path
    manifest: Manifest
    files: int
    bytes: int


def is_package(path: str | os.PathLike) -> bool:
    """A zip file or a folder holding a manifest.json (what ``validate`` treats as a package)."""
    p = Path(path)
    return (p.is_file() and p.suffix.lower() == ".zip") or (p.is_dir() and (p / MANIFEST_NAME).exists())


def _schema_error(source: PackageSource, exc: ValidationError) -> PackageError:
    err = exc.errors()[0]
    where = "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in err["loc"]).lstrip(".")
    return source.fail(f"{where or 'manifest'}: {err['msg']}", MANIFEST_NAME)


def _check_references(source: PackageSource, m: Manifest) -> None:
    declared = source.declared
    for rel in m.referenced_paths():
        if rel not in declared:
            raise source.fail("referenced by the manifest but not listed in its files", rel)
    names = [v.name for v in m.variants]
    if len(set(names)) != len(names):
        raise source.fail("variants: two variants share a name", MANIFEST_NAME)
    block = m.loudness.peak_block
    for i, v in enumerate(m.variants):
        want = -(-m.cue.length_samples // block) if block else 0
        if v.peak_envelope is not None and len(v.peak_envelope) != want:
            raise source.fail(f"variants[{i}].peak_envelope: {len(v.peak_envelope)} values, expected {want} "
                              f"(one per loudness.peak_block = {block} samples of the cue)", MANIFEST_NAME)
    for i, st in enumerate(m.stingers):
        want = max(1, -(-(st.stem.frames + st.stem.tail_frames) // block)) if block else 0
        if st.peak_envelope is not None and len(st.peak_envelope) != want:
            raise source.fail(f"stingers[{i}].peak_envelope: {len(st.peak_envelope)} values, expected {want} "
                              f"(one per loudness.peak_block = {block} samples of the stinger)", MANIFEST_NAME)
    stingers = {s.name for s in m.stingers}
    markers = {k.name for k in m.markers}
    for i, r in enumerate(m.rules):
        for side in ("source", "target"):
            if getattr(r, side) not in (*names, "*"):
                raise source.fail(f"rules[{i}].{side}: no variant {getattr(r, side)!r}", MANIFEST_NAME)
        if r.stinger is not None and r.stinger not in stingers:
            raise source.fail(f"rules[{i}].stinger: no stinger {r.stinger!r}", MANIFEST_NAME)
        for key in ("leave_marker", "enter_marker"):
            if getattr(r, key) is not None and getattr(r, key) not in markers:
                raise source.fail(f"rules[{i}].{key}: no marker {getattr(r, key)!r}", MANIFEST_NAME)
    for vi, v in enumerate(m.variants):
        for li, layer in enumerate(v.layers):
            if layer.stem.frames != m.cue.length_samples:
                raise source.fail(f"variants[{vi}].layers[{li}].stem.frames: {layer.stem.frames}, but the cue "
                                  f"is {m.cue.length_samples} samples", MANIFEST_NAME)


def _check_undeclared(source: PackageSource) -> None:
    """Every file in the package is in the manifest's list (nothing rides along unchecked)."""
    if source.zip is not None:
        present = [i.filename for i in source.zip.infolist() if not i.is_dir()]
    else:
        present = [p.relative_to(source.path).as_posix() for p in source.path.rglob("*") if p.is_file()]
    for rel in sorted(present):
        if rel != MANIFEST_NAME and rel not in source.declared:
            raise source.fail("not listed in the manifest's files (an unchecked file)", rel)


def check_package(path: str | os.PathLike) -> PackageSummary:
    """Check a package (see the module docstring); raises PackageError naming the first problem."""
    source = PackageSource(path)
    try:
        try:
            # strict, as JSON: "48000" is no sample rate (the runtime reads numbers as written)
            manifest = Manifest.model_validate_json(json.dumps(source.manifest), strict=True)
        except ValidationError as exc:
            raise _schema_error(source, exc) from None
        _check_references(source, manifest)
        _check_undeclared(source)
        total = source.verify_all()
    finally:
        source.close()
    return PackageSummary(Path(path), manifest, len(source.declared), total)
