"""Parent-side plugin operations run in a worker process: probing one plugin, saving VST state."""

from __future__ import annotations

from pathlib import Path

from composer_assist.core.errors import PluginError
from composer_assist.core.plugins.paths import faust_sources, resolve_plugin

from .scan import PROBE_TIMEOUT_S, PluginInfo, _sig, bundle_binaries
from .workers import shared_pool


def _vst_path(ref: str, project_dir: Path | None) -> tuple[Path, str]:
    res = resolve_plugin(ref, project_dir)
    path = res.path
    if res.kind == "vst2" and path.is_dir():
        inner = sorted(path.glob("*.so"))
        if not inner:
            raise PluginError(f"plugin {ref!r}: no .so inside {path}")
        path = inner[0]
    return path, res.kind


def probe_plugin(ref: str, project_dir: Path | None = None, timeout: float = PROBE_TIMEOUT_S) -> PluginInfo:
    """Load one plugin (by reference or path) in a worker and describe it."""
    path, kind = _vst_path(ref, project_dir)
    if kind == "faust":
        sig = _sig(path, path.with_suffix(".json"), *faust_sources(path))
    else:
        sig = _sig(*bundle_binaries(path)) if kind == "vst3" else _sig(path)
    [r] = shared_pool().run([{"op": "probe", "path": str(path), "kind": kind}], timeout)
    info = PluginInfo(ref=ref, name=path.name, path=str(path), format=kind, signature=sig)
    if not r.ok:
        info.ok, info.error = False, r.error
        return info
    res = r.result
    info.name, info.kind, info.inputs, info.outputs, info.params = (
        res["name"], res["kind"], res["inputs"], res["outputs"], res["params"])
    return info


def save_plugin_state(ref: str, out: Path, params: dict[str, float] | None = None, state: Path | None = None,
                      project_dir: Path | None = None, timeout: float = PROBE_TIMEOUT_S) -> Path:
    """Save a VST's state (optionally after restoring ``state`` and setting ``params`` by name).

    The file is the plugin's own chunk (FXP), restored at render time with ``load_preset``.
    """
    out = Path(out)
    if out.is_dir():
        raise PluginError(f"{out}: is a folder; give the state file's name (e.g. {out / 'synth.fxp'})")
    if not out.resolve().parent.is_dir():
        raise PluginError(f"{out}: folder {out.resolve().parent} does not exist")
    path, kind = _vst_path(ref, project_dir)
    if kind == "faust":
        raise PluginError(f"plugin {ref!r} is a Faust instrument: it has no state, set its params instead")
    job = {"op": "save_state", "path": str(path), "kind": kind, "params": dict(params or {}),
           "state": str(state) if state else None, "out": str(Path(out).resolve())}
    [r] = shared_pool().run([job], timeout)
    if not r.ok:
        raise PluginError(r.error if r.error_type == "PluginError" else f"plugin {ref}: cannot save state: {r.error}")
    return Path(out)
