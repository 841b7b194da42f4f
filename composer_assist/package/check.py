"""``validate`` for a package folder or zip: safety (``runtime.source``), schema, references, checksums,
stems.

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
from composer_assist.runtime.load import CODECS, decode
from composer_assist.runtime.manifest_check import check_consistency
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


def _check_stems(source: PackageSource, m: dict) -> None:
    """Decode every stem in each codec it comes in, as the runtime does to play it: frames,
    channels, sample rate and samples as the manifest says (a stem replaced with its checksum)."""
    sr = m["sample_rate"]
    stems = [layer["stem"] for v in m["variants"] for layer in v["layers"]] + [s["stem"] for s in m["stingers"]]
    for stem in stems:
        for codec in CODECS:
            if stem.get(codec) is not None:
                path = stem[codec]["path"]
                decode(source.read_bytes(path), stem, codec, sr, f"{source.path}: {path}")


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
        check_consistency(source.manifest, source.fail)
        _check_undeclared(source)
        total = source.verify_all()
        _check_stems(source, source.manifest)
    finally:
        source.close()
    return PackageSummary(Path(path), manifest, len(source.declared), total)
