"""Rendering cues: one stem per layer of each variant (plus stingers) and mixdowns.

Each stem is one chain — instrument, then effects in order — rendered by a worker process (see
``workers``) in a single DawDreamer render call, at the project sample rate, float32 stereo,
exactly ``cue.length_samples(sr)`` long.  Whatever rings on past the cue end (release, reverb)
is measured by rendering past it and trimming at -80 dBFS, and kept apart as the stem's *tail*.
Stems are raw chain output; a layer's gain and pan apply in the mixdown (``core.mixmath``).

Here: ``render_cue``.  The job specs are built in ``stem_jobs``, the result and its mixdown are in
``cue_render`` and writing it out is in ``cue_files``; their public names are importable from here.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from composer_assist.core.errors import PluginError, ProjectError, RenderError
from composer_assist.core.project import Cue, Project, Variant, check_plugins

from . import stem_cache
from .cue_files import check_output_names, cue_folder, output_files, stale_outputs, write_cue
from .cue_render import STINGER, CueRender, StemError, StemStats, mixdown
from .render_claims import RenderClaims, sweep_claims
from .stem_jobs import BLOCK_SIZE, Stem, job_timeout, plan_stem

__all__ = ["BLOCK_SIZE", "STINGER", "CueRender", "StemError", "StemStats", "check_output_names", "cue_folder",
           "mixdown", "output_files", "render_cue", "stale_outputs", "write_cue"]


def render_cue(project: Project, cue: str, variants: list[str] | None = None, sample_rate: int | None = None,
               jobs: int = 2, use_cache: bool = True, progress: Callable[[int, int], None] | None = None,
               *, keep_going: bool = False, timeout: float | None = None,
               stingers: bool = True) -> CueRender:
    """Render every layer of the chosen variants (all by default) and the cue's stingers.

    Stems come from the cache when nothing that produced them changed.  A plugin that fails,
    crashes or hangs fails its own stem only: the others render, then ``RenderError`` names
    every failed layer and plugin (or, with ``keep_going``, the failures are in ``errors``).
    """
    t_start = time.perf_counter()
    try:
        c = project.cue(cue)
        chosen = [c.variant(v) for v in variants] if variants else list(c.variants)
    except KeyError as exc:
        raise ProjectError(exc.args[0]) from None
    check_plugins(project)  # every plugin resolves and every Faust parameter fits, before any work
    sr = int(sample_rate or project.sample_rate)
    if sr not in (44100, 48000):
        raise RenderError(f"sample rate {sr} is not supported (44100 or 48000)")
    length = c.length_samples(sr)
    todo = [plan_stem(c, v.name, layer, sr, project.folder, length) for v in chosen for layer in v.layers]
    todo += _exit_stems(c, chosen, sr, project.folder, length)
    if stingers:
        todo += [plan_stem(c, STINGER, s, sr, project.folder, None) for s in c.stingers]
    batch = _Batch(todo, progress)
    to_run = batch.take_cached(use_cache)
    batch.run(to_run, use_cache, jobs, timeout)
    if use_cache and to_run:
        stem_cache.prune(keep={st.key for st in todo})
        sweep_claims()
    if batch.errors and not keep_going:
        cls = PluginError if all(e.kind == "PluginError" for e in batch.errors) else RenderError
        raise cls(f"cue {c.name!r}: " + "; ".join(str(e) for e in batch.errors))
    return _cue_render(c, chosen, sr, length, batch, t_start)


def _exit_stems(c: Cue, chosen: list[Variant], sr: int, folder, length: int) -> list[Stem]:
    """With a loop that ends inside the cue: each layer played up to the loop end and let ring,
    for the release tail that rings over the loop start at every wrap (``CueRender.exit_tails``)."""
    lo, hi = c.loop_beats
    end = min(c.tempo.sample_at(hi, sr), length)  # as playback.CueClock places it
    if end >= length or end <= min(c.tempo.sample_at(lo, sr), length - 1):
        return []
    return [plan_stem(c, v.name, layer, sr, folder, end, hi) for v in chosen for layer in v.layers]


@dataclass
class _Batch:
    """The stems of one ``render_cue`` call as they arrive, from the cache or from the workers."""

    todo: list[Stem]
    progress: Callable[[int, int], None] | None
    arrays: dict[int, np.ndarray] = field(default_factory=dict)  # index in todo -> body + tail
    stats: dict[int, StemStats] = field(default_factory=dict)
    errors: list[StemError] = field(default_factory=list)
    done: int = 0
    tmp: Path | None = None  # where the workers write stems when the cache is not used
    claims: RenderClaims | None = None  # the stems this render is writing into the cache

    def take_cached(self, use_cache: bool) -> list[dict]:
        """Take every stem the cache holds; returns the jobs that render the others."""
        jobs = [dict(st.spec, index=i) for i, st in enumerate(self.todo) if not (use_cache and self._take_cached(i))]
        self.done = len(self.todo) - len(jobs)
        self._report()
        return jobs

    def _take_cached(self, i: int) -> bool:
        st = self.todo[i]
        hit = stem_cache.load_stem(st.key, st.length)
        if hit is None:
            return False
        arr, meta = hit
        self.arrays[i] = arr
        self.stats[i] = StemStats.measured(st.variant, st.layer.name, float(meta.get("seconds", 0.0)),
                                           float(meta.get("wall", 0.0)), True)
        cut = meta.get("cut_db")
        if isinstance(cut, (int, float)) and isinstance(meta.get("tail"), int):
            self._warn_cut(st, float(cut), meta["tail"])  # said again whenever the stem is used
        return True

    def run(self, to_run: list[dict], use_cache: bool, jobs: int, timeout: float | None) -> None:
        """Render ``to_run`` in the shared worker pool; failures are gathered in ``errors``.

        Into the cache, each stem is claimed first (``render_claims``): one another process is
        rendering is waited for and taken from the cache once it is there, not rendered twice."""
        self.tmp = None if use_cache else Path(tempfile.mkdtemp(prefix="ca-render-"))
        try:
            if self.tmp is not None:
                self._render(to_run, jobs, timeout)
                return
            with RenderClaims() as claims:
                self.claims = claims
                mine: list[dict] = []
                theirs: list[dict] = []
                for j in to_run:
                    (mine if claims.take(self.todo[j["index"]].key) else theirs).append(j)
                # Another process may have finished one between the cache look-up and the claim.
                for j in [j for j in mine if self._took(j["index"])]:
                    mine.remove(j)
                    claims.release(self.todo[j["index"]].key)
                self._render(mine, jobs, timeout)
                left = []
                for j in theirs:
                    limit = timeout if timeout is not None else job_timeout(j)
                    claims.wait(self.todo[j["index"]].key, limit, self._report)
                    if self._took(j["index"]):
                        claims.release(self.todo[j["index"]].key)
                    else:
                        left.append(j)  # the other render failed, was killed or is still going
                self._render(left, jobs, timeout)
        finally:
            if self.tmp is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def _took(self, i: int) -> bool:
        """Whether stem ``i``, looked up again, was in the cache (then it counts as done)."""
        if not self._take_cached(i):
            return False
        self.done += 1
        self._report()
        return True

    def _render(self, to_run: list[dict], jobs: int, timeout: float | None) -> None:
        from .workers import shared_pool

        for j in to_run:
            j["out"] = str(stem_cache.stem_path(self.todo[j["index"]].key) if self.tmp is None
                           else self.tmp / f"{j['index']}.npy")
        if to_run:
            shared_pool(jobs).run(to_run, timeout if timeout is not None else job_timeout, self._on_result,
                                  size=max(1, jobs))

    def _on_result(self, r) -> None:
        i = r.job["index"]
        st = self.todo[i]
        if r.ok:
            try:
                arr = np.load(r.job["out"], allow_pickle=False)
            except (OSError, ValueError) as exc:
                self.errors.append(StemError(st.variant, st.layer.name, st.plugins, f"stem file unreadable: {exc}"))
            else:
                self._keep(i, arr, r.result)
        else:
            self.errors.append(StemError(st.variant, st.layer.name, st.plugins, r.error or "failed",
                                         r.error_type or "crash"))
        if self.claims is not None:
            self.claims.release(st.key)  # only now: the stem and its figures are in the cache
        self.done += 1
        self._report()

    def _keep(self, i: int, arr: np.ndarray, res: dict) -> None:
        """A rendered stem: kept, its stats saved with it in the cache, its tail length remembered."""
        st = self.todo[i]
        self.arrays[i] = arr
        self.stats[i] = StemStats.measured(st.variant, st.layer.name, res["seconds"], res["job_wall"], False)
        if self.tmp is None:
            stem_cache.save_meta(st.key, {"seconds": res["seconds"], "wall": res["job_wall"], "tail": res["tail"],
                                          "cut_db": res.get("cut_db")})
        if st.variant != STINGER:
            stem_cache.save_tail_hint(st.chain_key, res["tail"])
        self._warn_cut(st, res.get("cut_db"), res["tail"])

    def _warn_cut(self, st: Stem, cut_db: float | None, tail: int) -> None:
        """A tail still sounding when its allowance ran out (faded there by the worker): said."""
        if cut_db is None:
            return
        cut = (f"{self.where(st)}: its tail still sounded at {cut_db:g} dBFS when its "
               f"{tail / st.spec['sample_rate']:.1f} s allowance ran out; faded out over 50 ms there "
               f"(a shorter release or held note ends it sooner)")
        st.warning = cut if st.warning is None else f"{st.warning}; {cut}"

    @staticmethod
    def where(st: Stem) -> str:
        return f"{'stingers' if st.variant == STINGER else st.variant}/{st.layer.name} ({st.plugins})"

    def _report(self) -> None:
        if self.progress:
            self.progress(self.done, len(self.todo))


def _cue_render(c: Cue, chosen: list[Variant], sr: int, length: int, batch: _Batch, t_start: float) -> CueRender:
    """The stems split into body and tail by variant and layer, the stingers whole."""
    stems: dict[str, dict[str, np.ndarray]] = {v.name: {} for v in chosen}
    tails: dict[str, dict[str, np.ndarray]] = {v.name: {} for v in chosen}
    keys: dict[str, dict[str, str]] = {v.name: {} for v in chosen}
    exits: dict[str, dict[str, np.ndarray]] = {}
    stinger_audio: dict[str, np.ndarray] = {}
    for i, st in enumerate(batch.todo):
        if i not in batch.arrays:
            continue
        arr = batch.arrays[i]
        if st.exit:
            exits.setdefault(st.variant, {})[st.layer.name] = arr[:, st.length:]
        elif st.variant == STINGER:
            stinger_audio[st.layer.name] = arr
        else:
            stems[st.variant][st.layer.name] = arr[:, :length]
            tails[st.variant][st.layer.name] = arr[:, length:]
            keys[st.variant][st.layer.name] = st.key
    return CueRender(c, sr, length, stems, tails, stinger_audio,
                     [batch.stats[i] for i, st in enumerate(batch.todo) if i in batch.stats and not st.exit],
                     batch.errors, time.perf_counter() - t_start,
                     [st.warning for st in batch.todo if st.warning and not st.exit], exit_tails=exits,
                     stem_keys=keys if batch.tmp is None else {})
