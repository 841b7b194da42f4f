"""Writing a rendered cue: ``OUT/<cue>/<variant>/<layer>.wav``, tails, mixdowns and stingers, with names
that cannot collide or escape the output folder, and stale files of an earlier render removed."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from composer_assist.core.errors import RenderError
from composer_assist.core.project import Cue

from .cue_render import STINGER, CueRender, mixdown
from .wavio import write_wav


def _safe(name: str) -> str:
    """A file or folder name for ``name``: no separators, never empty, ``.`` or ``..``."""
    out = "".join(ch if ch.isalnum() or ch in "-_. " else "_" for ch in name).strip()
    if not out.strip("."):  # "", ".", "..": would point at the folder itself or its parent
        out = "_" * max(1, len(out))
    return out


def _layer_file(name: str) -> str:
    """Stem file stem for a layer: never ``mix`` (the mixdown) nor ``*.tail`` (another layer's tail)."""
    out = _safe(name)
    if out.lower() == "mix" or out.lower().endswith(".tail"):
        out += "_layer"
    return out


def cue_folder(name: str) -> str:
    """The folder a cue is written to under the output folder."""
    return _safe(name)


def output_files(render: CueRender, out_dir: Path) -> list[tuple[Path, str, Callable[[], np.ndarray]]]:
    """(path, what it holds, audio) for every file ``write_cue`` writes; names cannot collide or escape.

    Raises ``RenderError`` when two names map to the same file after making them safe.
    """
    root = Path(out_dir).resolve()
    base = Path(out_dir) / cue_folder(render.cue.name)
    planned: list[tuple[Path, str, Callable[[], np.ndarray]]] = []
    for variant, layers in render.stems.items():
        folder = base / _safe(variant)
        for name, audio in layers.items():
            stem = _layer_file(name)
            what = f"variant {variant!r} layer {name!r}"
            planned.append((folder / f"{stem}.wav", what, lambda a=audio: a))
            tail = render.tails.get(variant, {}).get(name)
            if tail is not None and tail.shape[1]:
                planned.append((folder / f"{stem}.tail.wav", f"{what} tail", lambda a=tail: a))
        if not render.failed_layers(variant):  # a mix missing a layer is not written at all
            planned.append((folder / "mix.wav", f"variant {variant!r} mixdown",
                            lambda v=variant: mixdown(render, v)))
    for name, audio in render.stingers.items():
        planned.append((base / "stingers" / f"{_safe(name)}.wav", f"stinger {name!r}", lambda a=audio: a))
    seen: dict[str, str] = {}
    for path, what, _ in planned:
        if not path.resolve().is_relative_to(root):
            raise RenderError(f"cue {render.cue.name!r}: {what} would be written outside {out_dir} ({path})")
        key = str(path.resolve()).casefold()  # case-insensitive file systems collide on case too
        if key in seen:
            raise RenderError(f"cue {render.cue.name!r}: {seen[key]} and {what} would both be written to "
                              f"{path}; rename one of them")
        seen[key] = what
    return planned


def stale_outputs(render: CueRender, out_dir: Path) -> list[Path]:
    """Files an earlier render may have left that this one failed to produce: a failed layer's
    stem and tail, its variant's ``mix.wav``, a failed stinger, and the tail of a layer that now
    rings out within the cue.  Left in place they would pass for this render's output."""
    base = Path(out_dir) / cue_folder(render.cue.name)
    out: list[Path] = []
    for variant, layers in render.stems.items():
        for name in layers:
            tail = render.tails.get(variant, {}).get(name)
            if tail is None or not tail.shape[1]:
                out.append(base / _safe(variant) / f"{_layer_file(name)}.tail.wav")
    for e in render.errors:
        if e.variant == STINGER:
            out.append(base / "stingers" / f"{_safe(e.layer)}.wav")
            continue
        folder = base / _safe(e.variant)
        out += [folder / f"{_layer_file(e.layer)}.wav", folder / f"{_layer_file(e.layer)}.tail.wav",
                folder / "mix.wav"]
    return list(dict.fromkeys(out))


def check_output_names(cue: Cue, variants: list[str] | None, out_dir: Path) -> None:
    """Raise ``RenderError`` now (before rendering) if ``write_cue`` would find clashing names."""
    chosen = [v for v in cue.variants if not variants or v.name in variants]
    blank = np.zeros((2, 1), dtype=np.float32)  # every layer assumed to have a tail: the worst case
    stems = {v.name: {l.name: blank for l in v.layers} for v in chosen}
    dummy = CueRender(cue, 48000, 1, stems, stems, {s.name: blank for s in cue.stingers}, [])
    output_files(dummy, out_dir)


def write_cue(render: CueRender, out_dir: Path) -> list[Path]:
    """Write ``OUT/<cue>/<variant>/<layer>.wav`` (+ ``<layer>.tail.wav``), ``mix.wav`` and stingers.

    A variant with a failed layer gets its other stems but no ``mix.wav``, and files of an
    earlier render that this one failed to produce are removed (see ``stale_outputs``).

    A layer named ``mix`` or ``*.tail`` is written as ``<layer>_layer.wav``; names that still
    collide after making them safe raise ``RenderError`` before anything is written.
    """
    planned = output_files(render, out_dir)
    for path in stale_outputs(render, out_dir):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise RenderError(f"{out_dir}: cannot remove the stale {path}: {exc.strerror or exc}") from None
    written: list[Path] = []
    for path, _, audio in planned:
        try:
            written.append(write_wav(path, audio(), render.sample_rate))
        except OSError as exc:
            raise RenderError(f"{out_dir}: cannot write {path}: {exc.strerror or exc}") from None
    return written
