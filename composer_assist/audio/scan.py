"""Finding plugins: Faust instruments in ``plugins/`` and VST2/VST3 in the standard folders.

Each plugin is probed in a worker process with a timeout (plugins segfault, exit or hang while
loading); a failure is recorded against that plugin and the scan goes on.  Results are cached in
``<cache>/plugins.json`` keyed by path, mtime and size, so a rescan only probes what changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from composer_assist.core.atomic import atomic_write_json
from composer_assist.core.errors import PluginError
from composer_assist.core.suggest import did_you_mean
from composer_assist.core.plugins.paths import builtin_plugin_dir, faust_sources, vst2_search_paths, vst3_search_paths
from composer_assist.core.plugins.scan_cache import SCAN_CACHE_FILE, SCAN_CACHE_SCHEMA, cache_dir, read_scan_cache

CACHE_SCHEMA = SCAN_CACHE_SCHEMA
PROBE_TIMEOUT_S = 30.0


@dataclass
class PluginInfo:
    ref: str  # what a project writes in "plugin": a Faust id, a VST file name or a path
    name: str
    path: str
    format: str  # faust | vst2 | vst3
    kind: str = ""  # instrument | effect ("" when the probe failed)
    inputs: int = 0
    outputs: int = 0
    params: list[dict] = field(default_factory=list)
    ok: bool = True
    error: str | None = None
    note: str = ""
    signature: str = ""  # mtime/size of the files the probe depended on

    @classmethod
    def from_json(cls, d: dict) -> "PluginInfo":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


@dataclass
class ScanResult:
    plugins: list[PluginInfo]
    probed: int  # how many were probed now (the rest came from the cache)
    skipped: dict[str, str]  # path -> why: files in VST folders that are not VST2 plugins


def _sig(*paths: Path) -> str:
    parts = []
    for p in paths:
        try:
            st = p.stat()
            parts.append(f"{st.st_mtime_ns}:{st.st_size}")
        except OSError:
            parts.append("-")
    return "|".join(parts)


def bundle_binaries(bundle: Path) -> list[Path]:
    """Files in a VST3 bundle's ``Contents/*/`` (the per-architecture binaries, resources)."""
    try:
        return sorted(f for d in (bundle / "Contents").iterdir() if d.is_dir() for f in d.iterdir() if f.is_file())
    except OSError:
        return []


VST2_ENTRY_POINTS = {b"VSTPluginMain", b"main", b"main_plugin", b"main_macho"}


class _NotElf(ValueError):
    """Why a file cannot be read as a shared library."""


def _elf_functions(path: Path) -> set[bytes]:
    """Names of the functions a 64/32-bit little-endian ELF shared object defines (.dynsym).

    Raises ``_NotElf`` saying why the file is not one.
    """
    import struct

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise _NotElf(f"cannot read: {exc.strerror or exc}") from None
    if len(data) < 0x34 or data[:4] != b"\x7fELF":
        raise _NotElf("not an ELF shared library" + (" (empty file)" if not data else ""))
    if data[5] != 1:
        raise _NotElf("big-endian ELF: not for this machine")
    is64 = data[4] == 2
    try:
        if is64:
            shoff, = struct.unpack_from("<Q", data, 0x28)
            shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        else:
            shoff, = struct.unpack_from("<I", data, 0x20)
            shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
        sections = []
        for k in range(shnum):
            base = shoff + k * shentsize
            if is64:
                _, typ, _, _, off, size, link, _, _, entsize = struct.unpack_from("<IIQQQQIIQQ", data, base)
            else:
                _, typ, _, _, off, size, link, _, _, entsize = struct.unpack_from("<IIIIIIIIII", data, base)
            sections.append((typ, off, size, link, entsize))
        out = set()
        for typ, off, size, link, entsize in sections:
            if typ != 11 or not entsize:  # SHT_DYNSYM
                continue
            stroff = sections[link][1]
            for j in range(size // entsize):
                e = off + j * entsize
                if is64:
                    name, info, _, shndx = struct.unpack_from("<IBBH", data, e)
                else:
                    name, _, _, info, _, shndx = struct.unpack_from("<IIIBBH", data, e)
                if shndx == 0 or (info & 0xF) != 2:  # undefined, or not a function
                    continue
                end = data.index(b"\0", stroff + name)
                out.add(data[stroff + name:end])
        return out
    except (struct.error, IndexError, ValueError):
        raise _NotElf("damaged ELF file: its symbol table cannot be read") from None


def exported_symbols(path: Path) -> set[bytes]:
    """Names of the functions an ELF shared object defines (empty if it is not one)."""
    try:
        return _elf_functions(path)
    except _NotElf:
        return set()


def vst2_skip_reason(path: Path) -> str | None:
    """Why ``path`` is not a VST2 plugin, or None if it is one: a VST2 exports ``VSTPluginMain``
    (or the old ``main``); plugin folders also hold helper libraries and stray files."""
    try:
        symbols = _elf_functions(path)
    except _NotElf as exc:
        return str(exc)
    if symbols & VST2_ENTRY_POINTS:
        return None
    return "exports no VST2 entry point (VSTPluginMain or main)"


def _vst3_note(bundle: Path) -> str:
    info = bundle / "Contents" / "Resources" / "moduleinfo.json"
    try:
        classes = [c for c in json.loads(info.read_text()).get("Classes", [])
                   if c.get("Category") == "Audio Module Class"]
    except (OSError, ValueError, AttributeError):
        return ""
    if len(classes) > 1:
        # DawDreamer 0.9 (JUCE) instantiates only the first class of a shell bundle (issue #90).
        return f"bundle holds {len(classes)} plugins; only the first ({classes[0].get('Name')}) loads"
    return ""


def candidates(folders: list[Path] | None = None) -> tuple[list[tuple[Path, str, str, str]], dict[str, str]]:
    """(path, format, ref, signature) for every plugin file we can find, and skipped files (path ->
    why they are not plugins).

    ``folders`` replaces the standard places (built-in Faust folder and VST search paths).
    """
    found: list[tuple[Path, str, str, str]] = []
    skipped: dict[str, str] = {}
    seen: set[Path] = set()
    pdirs = [builtin_plugin_dir()] if folders is None else [Path(f) for f in folders]
    for pdir in pdirs:
        if pdir.is_dir():
            for dsp in sorted(pdir.glob("*.dsp")):
                ref = dsp.stem if folders is None else str(dsp)
                found.append((dsp, "faust", ref, _sig(dsp, dsp.with_suffix(".json"), *faust_sources(dsp))))
    vst2 = vst2_search_paths() if folders is None else [Path(f) for f in folders]
    vst3 = vst3_search_paths() if folders is None else [Path(f) for f in folders]
    for folder in vst2:
        if not folder.is_dir():
            continue
        top = {p.name for p in folder.iterdir()}
        for so in sorted(folder.rglob("*")):
            if so.suffix not in (".so",) or not so.is_file() or so.resolve() in seen:
                continue
            seen.add(so.resolve())
            why = vst2_skip_reason(so)
            if why:
                skipped[str(so)] = why
                continue
            ref = so.name if so.parent == folder and so.name in top else str(so)
            found.append((so, "vst2", ref, _sig(so)))
    for folder in vst3:
        if not folder.is_dir():
            continue
        for b in sorted(folder.rglob("*.vst3")):
            if b.resolve() in seen or any(p.suffix == ".vst3" for p in b.parents):
                continue
            seen.add(b.resolve())
            ref = b.name if b.parent == folder else str(b)
            found.append((b, "vst3", ref, _sig(*bundle_binaries(b)) or "-"))
    return found, skipped


def _load_cache() -> dict[str, dict]:
    return read_scan_cache()


def _save_cache(infos: list[PluginInfo]) -> None:
    atomic_write_json(cache_dir() / SCAN_CACHE_FILE,
                      {"schema": CACHE_SCHEMA, "plugins": {i.path: asdict(i) for i in infos}})


def scan_plugins(rescan: bool = False, jobs: int = 2, timeout: float = PROBE_TIMEOUT_S,
                 progress: Callable[[int, int], None] | None = None,
                 folders: list[Path] | None = None) -> ScanResult:
    """Find and probe every plugin (cached ones are not probed again unless ``rescan``).

    ``folders`` scans only those folders instead of the standard places.
    """
    from .workers import shared_pool

    found, skipped = candidates(folders)
    cache = {} if rescan else _load_cache()
    infos: dict[str, PluginInfo] = {}
    todo = []
    for path, fmt, ref, sig in found:
        old = cache.get(str(path))
        if old and old.get("signature") == sig:
            info = PluginInfo.from_json(old)
            info.ref = ref
            infos[str(path)] = info
        else:
            todo.append({"op": "probe", "path": str(path), "kind": fmt, "ref": ref, "sig": sig})
    total = len(found)
    done = total - len(todo)
    if progress:
        progress(done, total)

    def on_result(r) -> None:
        nonlocal done
        job = r.job
        path = Path(job["path"])
        info = PluginInfo(ref=job["ref"], name=path.stem if job["kind"] == "faust" else path.name,
                          path=job["path"], format=job["kind"], signature=job["sig"])
        if r.ok:
            res = r.result
            info.name, info.kind = res["name"], res["kind"]
            info.inputs, info.outputs, info.params = res["inputs"], res["outputs"], res["params"]
        else:
            info.ok, info.error = False, r.error
        if info.format == "vst3":
            info.note = _vst3_note(path)
        infos[job["path"]] = info
        done += 1
        if progress:
            progress(done, total)

    if todo:
        shared_pool(jobs).run(todo, timeout, on_result, size=jobs)
    ordered = [infos[str(p)] for p, *_ in found if str(p) in infos]
    # Keep entries of folders not scanned this time, so a focused scan does not forget the rest.
    keep = {k: PluginInfo.from_json(v) for k, v in cache.items() if k not in infos and Path(k).exists()}
    _save_cache(ordered + list(keep.values()))
    return ScanResult(ordered, len(todo), skipped)


def cached_plugins() -> list[PluginInfo]:
    """What the last scans found (no probing)."""
    return [PluginInfo.from_json(v) for v in _load_cache().values()]


def find_plugin(name: str, infos: list[PluginInfo]) -> PluginInfo:
    """Look a plugin up by reference, file name, path or display name (case-insensitive)."""
    want = name.lower()
    for key in (lambda i: i.ref, lambda i: Path(i.path).name, lambda i: i.path, lambda i: i.name,
                lambda i: Path(i.path).stem):
        hits = [i for i in infos if key(i).lower() == want]
        if hits:
            return hits[0]
    hint = did_you_mean(name, [i.ref for i in infos], n=5, cutoff=0.4)
    raise PluginError(f"no scanned plugin named {name!r}; {hint}run 'composer-assist plugins scan' to list them")
