"""Where plugins live and how a plugin reference in a project resolves to a file.

A reference is either a Faust instrument id (``pad``: ``plugins/pad.dsp`` shipped with Composer
Assist, or a ``.dsp`` path) or a VST: an absolute path, or a bare file name such as
``amsynth_vst.so`` / ``MVerb-vst.so`` / ``lsp-plugins.vst3`` looked up in the standard folders.
Pure file-system logic: nothing here loads a plugin.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import PluginError

VST2_SUFFIXES = (".so", ".dll", ".vst", ".dylib")
VST3_SUFFIXES = (".vst3",)


MAX_FAUST_SOURCES = 500  # Faust files beside one .dsp that its trust and cache keys cover
_QUOTED_DSP = re.compile(r'"([^"\n]+\.dsp)"')


def faust_sources(dsp: Path) -> list[Path]:
    """The Faust files a ``.dsp`` may read besides itself.  The compiler searches the .dsp's own
    folder first, so every ``.lib`` there or below it is part of what runs (even one named like
    a standard library); so is another ``.dsp`` the sources name (``component("x.dsp")``).
    Hidden folders are skipped; unreadable ones give what was found."""
    dsp = Path(dsp)
    folder = dsp.parent
    found: set[Path] = set()
    try:
        found.update(f for f in folder.rglob("*.lib") if f.is_file() and
                     not any(part.startswith(".") for part in f.relative_to(folder).parts))
    except OSError:
        pass
    todo = [dsp, *found]
    while todo:
        try:
            text = todo.pop().read_text(errors="replace")
        except OSError:
            continue
        for name in _QUOTED_DSP.findall(text):
            f = folder / name
            if f != dsp and f not in found and f.is_file():
                found.add(f)
                todo.append(f)
        if len(found) > MAX_FAUST_SOURCES:
            raise PluginError(f"{dsp}: more than {MAX_FAUST_SOURCES} Faust files beside it to vouch for; put "
                              f"the plugin (and the libraries it imports) in a folder of its own")
    return sorted(found)


def builtin_plugin_dir() -> Path:
    """The ``plugins/`` folder shipped with Composer Assist (Faust instruments and effects)."""
    env = os.environ.get("COMPOSER_ASSIST_PLUGINS")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "plugins"


def vst2_search_paths() -> list[Path]:
    paths = [Path(p) for p in os.environ.get("VST_PATH", "").split(os.pathsep) if p]
    paths += [Path("/usr/lib/vst"), Path("/usr/local/lib/vst"), Path.home() / ".vst"]
    return _unique(paths)


def vst3_search_paths() -> list[Path]:
    paths = [Path(p) for p in os.environ.get("VST3_PATH", "").split(os.pathsep) if p]
    paths += [Path("/usr/lib/vst3"), Path("/usr/local/lib/vst3"), Path.home() / ".vst3"]
    return _unique(paths)


def standard_plugin_folders() -> list[Path]:
    """The folders a plugin may be loaded from without asking: ours, and the VST2/VST3 search paths."""
    return _unique([builtin_plugin_dir(), *vst2_search_paths(), *vst3_search_paths()])


def _unique(paths: list[Path]) -> list[Path]:
    seen, out = set(), []
    for p in paths:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


@dataclass(frozen=True)
class ResolvedPlugin:
    ref: str
    kind: str  # "faust", "vst2" or "vst3"
    path: Path

    @property
    def name(self) -> str:
        return self.path.stem if self.kind == "faust" else self.path.name


def plugin_kind(path: Path) -> str:
    if path.suffix == ".dsp":
        return "faust"
    if path.suffix in VST3_SUFFIXES:
        return "vst3"
    return "vst2"


def is_plugin_file_name(ref: str) -> bool:
    return ref.endswith(VST2_SUFFIXES + VST3_SUFFIXES + (".dsp",))


def resolve_plugin(ref: str, project_dir: Path | None = None) -> ResolvedPlugin:
    """Resolve a plugin reference, or raise ``PluginError`` saying where we looked."""
    if not ref or not isinstance(ref, str):
        raise PluginError("empty plugin reference")
    p = Path(ref).expanduser()
    if p.is_absolute() or "/" in ref:
        if not is_plugin_file_name(p.name.lower()):  # a path to anything else is no plugin to load
            raise PluginError(f"plugin {ref!r}: not a plugin file (a VST2 {'/'.join(VST2_SUFFIXES)}, a VST3 "
                              f"{'/'.join(VST3_SUFFIXES)} bundle or a Faust .dsp)")
        if not p.is_absolute() and project_dir is not None:
            p = project_dir / p
        if p.exists():
            return ResolvedPlugin(ref, plugin_kind(p), p)
        raise PluginError(f"plugin {ref!r}: no such file {p}")
    if not is_plugin_file_name(ref):
        dsp = builtin_plugin_dir() / f"{ref}.dsp"
        if dsp.exists():
            return ResolvedPlugin(ref, "faust", dsp)
        known = ", ".join(sorted(f.stem for f in builtin_plugin_dir().glob("*.dsp"))) or "none"
        raise PluginError(f"unknown plugin {ref!r}: not a Faust instrument in {builtin_plugin_dir()} "
                          f"(known: {known}) nor a VST file name")
    folders = vst3_search_paths() if ref.endswith(VST3_SUFFIXES) else vst2_search_paths()
    if ref.endswith(".dsp"):  # the project's own dsp wins over a built-in of the same name
        folders = ([project_dir] if project_dir else []) + [builtin_plugin_dir()]
    for folder in folders:
        cand = folder / ref
        if cand.exists():
            return ResolvedPlugin(ref, plugin_kind(cand), cand)
    where = ", ".join(str(f) for f in folders)
    raise PluginError(f"plugin {ref!r} not found in {where} (set VST_PATH/VST3_PATH to add folders)")
