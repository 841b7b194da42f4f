"""The jobs a worker runs: rendering one chain, probing a plugin, saving VST state (loading a plugin,
its parameters and state are in ``plugin_load``).

Everything here runs inside a worker process (see ``workers``): a plugin may segfault, abort or
hang, and the process that loaded it pays for it, never the caller.  Job specs and results are
plain JSON-able dicts so nothing is ever unpickled.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from composer_assist.core.errors import PluginError
from composer_assist.core.plugins.meta import faust_meta
from composer_assist.core.plugins.paths import faust_sources

from .plugin_load import Loaded, apply_state, load_faust, load_vst

SILENCE = 1e-4  # -80 dBFS: where a tail is considered to have died away
CUT_FADE_S = 0.05  # a tail still sounding when its allowance runs out is faded over this
CUT_WARN = 10 ** (-50 / 20)  # and said when it is louder than -50 dBFS there


def to_stereo(audio: np.ndarray) -> np.ndarray:
    if audio.shape[0] == 1:
        return np.repeat(audio, 2, axis=0)
    return audio[:2]


def tail_length(audio: np.ndarray, start: int, cap: int, block: int = 256) -> int:
    """Samples after ``start`` until the signal stays below -80 dBFS (at most ``cap``)."""
    rest = np.abs(audio[:, start:start + cap]).max(axis=0) if audio.shape[1] > start else np.zeros(0)
    loud = np.nonzero(rest > SILENCE)[0]
    if loud.size == 0:
        return 0
    return int(min(cap, loud[-1] + 1))


# ---------------------------------------------------------------------------------------------
# Jobs (called by the worker process)


# A worker keeps the Faust processors it compiled: compiling a big dsp costs more than rendering a
# stem with it, and a cue has many stems per instrument.  DawDreamer runs every processor of an
# engine whether or not it is in the graph, so each combination of Faust dsps gets an engine of
# its own; VSTs are loaded fresh for every job and removed afterwards.
_ENGINES: dict[tuple, tuple[Any, list[tuple[Loaded, dict[str, float]]]]] = {}
_names = iter(range(1 << 62))


def _faust_key(p: dict) -> tuple:
    path = Path(p["path"])
    side = path.with_suffix(".json")
    h = hashlib.sha256()
    try:
        # The dsp is compiled with its folder as the Faust library path: a changed .lib there
        # must not reuse an engine compiled with the old one.
        for f in [path, side, *faust_sources(path)]:
            if f == path or f.exists():
                h.update(str(f.relative_to(path.parent)).encode() + b"\0" + f.read_bytes() + b"\0")
    except OSError as exc:
        raise PluginError(f"plugin {path}: cannot read: {exc}") from None
    return (str(path), h.hexdigest(), p["role"])


def _load_chain(sr: int, block: int, chain: list[dict]) -> tuple[Any, list[Loaded], list[Loaded]]:
    """(engine, processors of the chain, VST processors to remove from the engine afterwards)."""
    import dawdreamer as daw

    faust_at = [i for i, p in enumerate(chain) if p["kind"] == "faust"]
    key = (sr, block, tuple(_faust_key(chain[i]) for i in faust_at))
    if key not in _ENGINES:
        engine = daw.RenderEngine(sr, block)
        compiled = []
        try:
            # Every Faust dsp is compiled before any VST is loaded: a DPF VST flips the process to
            # flush-to-zero, which makes some Faust compiles abort (reset_fp_env guards later ones).
            for i in faust_at:
                loaded = load_faust(engine, f"f{next(_names)}", Path(chain[i]["path"]), chain[i]["role"])
                compiled.append((loaded, {d["name"]: float(d["value"]) for d in loaded.describe() if "value" in d}))
        except BaseException:
            del engine
            raise
        _ENGINES[key] = (engine, compiled)
    engine, compiled = _ENGINES[key]
    loaded: list[Loaded | None] = [None] * len(chain)
    for i, (proc, defaults) in zip(faust_at, compiled):
        for address, value in defaults.items():  # undo the previous job's parameter values
            proc.proc.set_parameter(address, value)
        proc.proc.clear_midi()
        loaded[i] = proc
    fresh = []
    for i, p in enumerate(chain):
        if p["kind"] != "faust":
            loaded[i] = load_vst(engine, f"v{next(_names)}", Path(p["path"]), p["kind"])
            fresh.append(loaded[i])
    out = [l for l in loaded if l is not None]
    try:
        for l, p in zip(out, chain):
            l.label = p.get("label") or l.label
            apply_state(l, p.get("state"))
            for k, v in (p.get("params") or {}).items():
                l.set_param(k, float(v))
    except BaseException:
        for l in fresh:
            engine.remove_processor(l.proc.get_name())
        raise
    return engine, out, fresh


def render_job(spec: dict) -> dict:
    """Render one chain (instrument then effects) and save body+tail as float32 .npy."""
    t_job = time.perf_counter()
    sr, block = int(spec["sample_rate"]), int(spec.get("block_size", 512))
    length, tail_max = int(spec["length"]), int(spec["tail_max"])
    engine, chain, fresh = _load_chain(sr, block, spec["chain"])
    try:
        return _render_chain(engine, chain, spec, sr, block, length, tail_max, t_job)
    finally:
        for l in chain:
            if l not in fresh:
                l.proc.clear_midi()
        for l in fresh:
            engine.remove_processor(l.proc.get_name())


def _render_chain(engine: Any, chain: list[Loaded], spec: dict, sr: int, block: int, length: int,
                  tail_max: int, t_job: float) -> dict:
    inst = chain[0]
    for start, dur, pitch, vel in spec["notes"]:
        inst.proc.add_midi_note(int(pitch), int(vel), float(start), float(dur))
    graph = [(chain[0].proc, [])]
    for prev, cur in zip(chain, chain[1:]):
        src = prev.proc.get_name()
        outs, ins = int(prev.proc.get_num_output_channels()), int(cur.proc.get_num_input_channels())
        # DawDreamer wires channel to channel and concatenates the channels of a processor's
        # inputs: a mono plugin fed into a stereo one only its left input (the right came out
        # silent); named twice, it feeds both.
        graph.append((cur.proc, [src, src] if outs == 1 and ins >= 2 else [src]))
    engine.load_graph(graph)
    tail_full = max(tail_max, int(spec.get("tail_full", tail_max)))
    wall = 0.0
    # A plugin that looks ahead (a limiter, a linear-phase EQ) delays its output by the latency it
    # reports: rendered that much longer and that much dropped from the start, the stem stays on
    # the grid.  Some plugins settle their latency only once prepared: read again after a render.
    latency, settles = _chain_latency(chain), 0
    while True:
        total = length + tail_max
        t0 = time.perf_counter()
        # One render call per stem: every render restarts at t=0 and resets the plugins.
        engine.render((total + latency + block) / sr)
        wall += time.perf_counter() - t0
        settled = _chain_latency(chain)
        if settled != latency and settles < 2:
            latency, settles = settled, settles + 1
            continue
        audio = to_stereo(np.asarray(engine.get_audio(), dtype=np.float32))[:, latency:]
        if audio.shape[1] < total:
            audio = np.pad(audio, ((0, 0), (0, total - audio.shape[1])))
        audio = audio[:, :total]
        if not np.all(np.isfinite(audio)):
            raise PluginError(f"plugin {chain[-1].label}: produced NaN or infinite samples")
        tail = tail_length(audio, length, tail_max)
        # A tail that still sounds at the end of a shortened (hinted) allowance may have been cut:
        # render again with the full allowance.
        if tail < tail_max or tail_max >= tail_full:
            break
        tail_max = tail_full
    out = np.ascontiguousarray(audio[:, :length + tail])
    cut_db = None
    if tail and tail >= tail_max:  # still sounding at the end of the full allowance: fade, not cut
        level = float(np.abs(out[:, -max(1, sr // 100):]).max())
        n = min(tail, int(CUT_FADE_S * sr))
        out[:, out.shape[1] - n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
        if level > CUT_WARN:  # quieter, the fade is not heard: nothing to say
            cut_db = round(20.0 * np.log10(level), 1)
    _save_npy(Path(spec["out"]), out)
    return {"tail": tail, "wall": wall, "seconds": total / sr, "job_wall": time.perf_counter() - t_job,
            "cut_db": cut_db}


def _chain_latency(chain: list[Loaded]) -> int:
    """Samples the chain delays its input by, as its plugins report it (Faust: none)."""
    total = 0
    for l in chain:
        try:
            total += max(0, int(l.proc.get_latency_samples()))
        except (AttributeError, RuntimeError):
            pass
    return total


def _save_npy(path: Path, arr: np.ndarray) -> None:
    import io

    from composer_assist.core.atomic import atomic_write_bytes

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    atomic_write_bytes(path, buf.getvalue())


def probe_job(spec: dict) -> dict:
    """Load one plugin and describe it: format, kind, channels, parameters."""
    import dawdreamer as daw

    path, kind = Path(spec["path"]), spec["kind"]
    engine = daw.RenderEngine(48000, 512)
    if kind == "faust":
        meta = faust_meta(path)
        loaded = load_faust(engine, "probe", path, meta["kind"])
        role = meta["kind"]
        name = str(meta.get("name") or path.stem)
    else:
        loaded = load_vst(engine, "probe", path, kind)
        # VST2 hides the synth flag from DawDreamer: no audio input means an instrument.
        role = "instrument" if loaded.proc.get_num_input_channels() == 0 else "effect"
        name = path.name
    params = loaded.params()
    if kind == "faust":
        params = [p for p in params if p["name"] not in ("freq", "gain", "gate")]
    return {"name": name, "kind": role, "inputs": int(loaded.proc.get_num_input_channels()),
            "outputs": int(loaded.proc.get_num_output_channels()), "params": params}


def save_state_job(spec: dict) -> dict:
    """Load a VST, set parameters by name, and save its state (FXP chunk) to ``spec['out']``."""
    import dawdreamer as daw

    path = Path(spec["path"])
    engine = daw.RenderEngine(48000, 512)
    loaded = load_vst(engine, "state", path, spec["kind"])
    apply_state(loaded, spec.get("state"))
    for k, v in (spec.get("params") or {}).items():
        loaded.set_param(k, float(v))
    out = Path(spec["out"])
    if out.is_dir():
        raise PluginError(f"{out}: is a folder, not a state file name")
    if not out.parent.is_dir():
        raise PluginError(f"{out}: folder {out.parent} does not exist")
    from composer_assist.core.atomic import atomic_write_bytes

    tmp = out.with_name(f".{out.name}.tmp")
    try:
        loaded.proc.save_state(str(tmp))
        if not tmp.exists():
            raise PluginError(f"plugin {path.name}: save_state wrote nothing")
        atomic_write_bytes(out, tmp.read_bytes())
    except OSError as exc:
        raise PluginError(f"{out}: cannot write the state file: {exc.strerror or exc}") from None
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass
    return {"bytes": out.stat().st_size}


JOBS = {"render": render_job, "probe": probe_job, "save_state": save_state_job}
