"""SYNTHETIC listener populations with planted taste clusters -- for demos, tests and benchmarks only.

Nothing here is real listener data.  Each synthetic listener belongs to one planted *archetype*
(e.g. "suspense lovers"); in each emotion context the archetype wants music shifted from the
scene's emotion and likes or dislikes some tags.  A listener's utility for a variant is

    u = -|variant_va - (scene_va + shift + own offset)| + sum(tag weights + own tag noise)

and the logged response follows from u: kept with probability sigmoid((u - U0) / TAU), an
explicit 1..5 rating on some events, dwell time, and sometimes a heart-rate change.  The logging
policy plays a uniformly random variant of the cue at each event, so the log is unbiased.
Planted labels are written beside the log so that the model's recovery can be measured.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from composer_assist.core.atomic import atomic_write_json, atomic_write_text
from composer_assist.core.errors import FeedbackError
from composer_assist.learn.feedback_log import FeedbackLog, save_feedback_log
from composer_assist.core.profile import CONTEXTS

from .features import context_index
from .catalog import VariantCatalog, default_catalog, load_catalog

U0 = -0.75  # utility at which keep/skip is a coin toss
TAU = 0.2  # how decisively utility turns into keeping
T0 = 1_700_000_000.0
# Generating takes about 550 bytes of memory per event at its peak (and the CSV about 60 bytes):
# 5,000,000 events need some 3 GB; 100,000,000 listeners would need terabytes and be killed.
MAX_LISTENERS = 1_000_000
MAX_EVENTS_PER_LISTENER = 1_000
MAX_EVENTS = 5_000_000


@dataclass
class Archetype:
    label: str
    # per context: (valence shift, arousal shift, {tag: weight})
    contexts: dict[str, tuple[float, float, dict[str, float]]]


def _same(v: float, a: float, tags: dict[str, float]) -> dict[str, tuple[float, float, dict[str, float]]]:
    return {c: (v, a, dict(tags)) for c in CONTEXTS}


ARCHETYPES: list[Archetype] = [
    Archetype("suspense lovers", {
        "high_arousal_negative": (-0.35, 0.3, {"tense": 0.4, "driving": 0.2, "calm": -0.3}),
        "high_arousal_positive": (-0.2, 0.3, {"tense": 0.2, "driving": 0.2}),
        "low_arousal_negative": (-0.3, 0.4, {"tense": 0.3}),
        "low_arousal_positive": (-0.1, 0.3, {"calm": -0.2}),
    }),
    Archetype("comfort seekers", _same(0.35, -0.4, {"calm": 0.4, "warm": 0.1, "tense": -0.4})),
    Archetype("playful optimists", {**_same(0.4, 0.2, {"playful": 0.4, "bright": 0.1, "sad": -0.3}),
                                    "high_arousal_negative": (0.3, 0.0, {"playful": 0.3, "sad": -0.3})}),
    Archetype("melancholics", _same(-0.35, -0.3, {"sad": 0.4, "melancholic": 0.1, "playful": -0.3})),
    Archetype("thrill seekers", _same(0.1, 0.45, {"driving": 0.3, "bright": 0.2, "calm": -0.3})),
]
DEFAULT_SHARES = (0.35, 0.28, 0.22, 0.15)


@dataclass
class Population:
    log: FeedbackLog
    planted: np.ndarray  # planted archetype index per listener (aligned with log.listener_ids)
    labels: list[str]  # archetype label per planted index
    catalog: VariantCatalog


def generate_population(n_listeners: int = 2000, events_per_listener: int = 20, seed: int = 0,
                        catalog: VariantCatalog | None = None, n_clusters: int = 4,
                        shares: tuple[float, ...] | None = None, id_prefix: str = "L") -> Population:
    """A synthetic population; every listener hears ``events_per_listener`` random variants."""
    if n_listeners < 1 or events_per_listener < 1:
        raise FeedbackError("generate: --listeners and --events-per-listener must be at least 1")
    if n_listeners > MAX_LISTENERS:
        raise FeedbackError(f"generate: --listeners {n_listeners:,} is more than the {MAX_LISTENERS:,} a synthetic "
                            f"population may have")
    if events_per_listener > MAX_EVENTS_PER_LISTENER:
        raise FeedbackError(f"generate: --events-per-listener {events_per_listener:,} is more than "
                            f"{MAX_EVENTS_PER_LISTENER:,}")
    if n_listeners * events_per_listener > MAX_EVENTS:
        raise FeedbackError(f"generate: {n_listeners:,} listeners x {events_per_listener:,} events is "
                            f"{n_listeners * events_per_listener:,} events, more than the {MAX_EVENTS:,} a synthetic "
                            f"population may have")
    if not 1 <= n_clusters <= len(ARCHETYPES):
        raise FeedbackError(f"generate: clusters must be between 1 and {len(ARCHETYPES)}")
    catalog = catalog or default_catalog()
    rng = np.random.default_rng(seed)
    arch = ARCHETYPES[:n_clusters]
    shares_arr = np.array(shares if shares is not None else
                          (DEFAULT_SHARES if n_clusters == 4 else (1.0,) * n_clusters), float)
    shares_arr = shares_arr / shares_arr.sum()
    planted = rng.choice(n_clusters, size=n_listeners, p=shares_arr)
    # The steps draw from one generator in a fixed order: a seed always gives the same population.
    events = _events(rng, catalog, planted, arch, events_per_listener)
    log = _log(catalog, events, n_listeners, events_per_listener, id_prefix)
    return Population(log, planted, [a.label for a in arch], catalog)


def _archetype_tables(arch: list[Archetype], tags: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per archetype and context: the (valence, arousal) shift [k, c, 2] and the tag weights [k, c, n_tags]."""
    shift = np.zeros((len(arch), 4, 2))
    tagw = np.zeros((len(arch), 4, len(tags)))
    for k, a in enumerate(arch):
        for ci, c in enumerate(CONTEXTS):
            v, ar, tw = a.contexts[c]
            shift[k, ci] = (v, ar)
            for t, w in tw.items():
                if t in tags:
                    tagw[k, ci, tags.index(t)] = w
    return shift, tagw


def _cue_of_variant(catalog: VariantCatalog) -> tuple[list[str], np.ndarray]:
    """The cue names, and the index of each variant's cue in them."""
    cue_names = list(catalog.cues())
    return cue_names, np.array([cue_names.index(v.cue) for v in catalog.variants])


def _pick_variants(rng: np.random.Generator, catalog: VariantCatalog, n_events: int) -> np.ndarray:
    """Index into ``catalog.variants`` per event: a random cue, then a uniformly random variant of it."""
    cue_names, cue_of_var = _cue_of_variant(catalog)
    cue_pick = rng.integers(0, len(cue_names), n_events)
    var_idx = np.empty(n_events, np.int64)
    for ci in range(len(cue_names)):
        rows = np.flatnonzero(cue_pick == ci)
        choices = np.flatnonzero(cue_of_var == ci)
        var_idx[rows] = choices[rng.integers(0, len(choices), rows.size)]
    return var_idx


def _events(rng: np.random.Generator, catalog: VariantCatalog, planted: np.ndarray, arch: list[Archetype],
            m: int) -> dict[str, np.ndarray]:
    """Every listener's ``m`` events: scene, variant heard and the responses its utility implies."""
    tags = catalog.tags
    shift, tagw = _archetype_tables(arch, tags)
    var_v, var_a, onehot = catalog.arrays()
    n = planted.size
    own_offset = rng.normal(0, 0.1, (n, 2))
    own_tags = rng.normal(0, 0.08, (n, len(tags)))
    lst = np.repeat(np.arange(n), m)
    scene_v = rng.uniform(-1, 1, n * m)
    scene_a = rng.uniform(-1, 1, n * m)
    ctx = context_index(scene_v, scene_a)
    var_idx = _pick_variants(rng, catalog, n * m)
    k = planted[lst]
    target_v = np.clip(scene_v + shift[k, ctx, 0] + own_offset[lst, 0], -1, 1)
    target_a = np.clip(scene_a + shift[k, ctx, 1] + own_offset[lst, 1], -1, 1)
    dist = np.hypot(var_v[var_idx] - target_v, var_a[var_idx] - target_a)
    bonus = ((tagw[k, ctx] + own_tags[lst]) * onehot[var_idx]).sum(axis=1)
    u = -dist + bonus + rng.normal(0, 0.1, n * m)
    p_keep = 1.0 / (1.0 + np.exp(-(u - U0) / TAU))
    kept = (rng.random(n * m) < p_keep).astype(np.int8)
    rating = np.clip(np.rint(3 + 2 * np.tanh((u - U0) / 0.4) + rng.normal(0, 0.6, n * m)), 1, 5)
    rating[rng.random(n * m) > 0.35] = np.nan
    dwell = np.where(kept == 1, 20 + rng.exponential(30 + 90 * p_keep), rng.uniform(1, 15, n * m)).round(1)
    physio = 0.8 * var_a[var_idx] + 0.4 * (u - U0) + rng.normal(0, 0.5, n * m)
    physio[rng.random(n * m) > 0.2] = np.nan
    start = T0 + rng.uniform(0, 30 * 86400, n)
    gaps = rng.exponential(300, (n, m)).cumsum(axis=1).ravel()
    return {"listener": lst, "variant": var_idx, "valence": scene_v, "arousal": scene_a, "kept": kept,
            "dwell": dwell, "rating": rating, "physio": physio, "timestamp": np.round(start[lst] + gaps)}


def _log(catalog: VariantCatalog, ev: dict[str, np.ndarray], n: int, m: int, id_prefix: str) -> FeedbackLog:
    """The events as a FeedbackLog, listeners named ``<id_prefix><number>``."""
    cue_names, cue_of_var = _cue_of_variant(catalog)
    var_idx = ev["variant"]
    width = len(str(n - 1))
    ids = [f"{id_prefix}{i:0{width}d}" for i in range(n)]
    # Variant names may repeat across cues, so codes must index unique names.
    names = list(dict.fromkeys(v.name for v in catalog.variants))
    variant = np.array([names.index(v.name) for v in catalog.variants], np.int32)[var_idx]
    return FeedbackLog(
        listener_ids=ids, listener=ev["listener"].astype(np.int32), timestamp=ev["timestamp"],
        cue_names=cue_names, cue=cue_of_var[var_idx].astype(np.int32), variant_names=names, variant=variant,
        valence=ev["valence"].round(2), arousal=ev["arousal"].round(2), kept=ev["kept"], dwell=ev["dwell"],
        rating=ev["rating"], physio=ev["physio"].round(2), line=np.arange(2, n * m + 2, dtype=np.int32),
        source="<synthetic>")


# What ``write_population`` leaves beside its files: their names and SHA-256, so that a later run
# can tell its own output (which it may replace) from anything else (which it must not).
MARKER = ".learn-generate.json"
MARKER_FORMAT = "composer-assist learn generate: files written"


def population_files(fmt: str = "csv") -> list[str]:
    """The names ``write_population`` writes into its folder, the marker last."""
    return [f"feedback.{fmt}", "variants.json", "planted.csv", "README.txt", MARKER]


def _sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:  # a folder, an unreadable file: not one this program wrote
        return None
    return h.hexdigest()


def _marked(folder: Path) -> dict[str, str]:
    """name -> SHA-256 of the files the marker says generate wrote ({} without a readable marker)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    files = data.get("files") if isinstance(data, dict) and data.get("format") == MARKER_FORMAT else None
    if not isinstance(files, dict):
        return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def check_population_folder(folder: str | Path, fmt: str = "csv", force: bool = False) -> None:
    """Refuse to replace anything ``write_population`` did not write itself, unless ``force``.

    A file is generate's own when the marker it left lists it with the SHA-256 the file still has:
    a real feedback log, a file edited since (real rows appended to a synthetic log) or a folder
    written before the marker existed is someone's data, and replacing it without a word lost it."""
    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise FeedbackError(f"{out}: exists and is not a folder (-o names the folder to write the population into)")
    if force or not out.is_dir():
        return
    marked = _marked(out)
    foreign = []
    for name in population_files(fmt):
        path = out / name
        if not (path.exists() or path.is_symlink()):
            continue
        if name == MARKER:
            if not marked and path.exists():
                foreign.append(path)
        elif marked.get(name) is None or marked[name] != _sha256(path):
            foreign.append(path)
    if foreign:
        more = f" (and {', '.join(p.name for p in foreign[1:])})" if len(foreign) > 1 else ""
        raise FeedbackError(f"{foreign[0]}: exists and was not written by learn generate, or was changed since"
                            f"{more}; nothing was written: choose another -o folder, or give --force to replace "
                            f"{'it' if len(foreign) == 1 else 'them'}")


def write_population(pop: Population, folder: str | Path, fmt: str = "csv", seed: int | None = None,
                     force: bool = False) -> dict[str, Path]:
    """feedback.csv (or .jsonl), variants.json, planted.csv and a README in ``folder``, and the
    marker that lets a later run replace them; refuses to replace other files unless ``force``."""
    out = Path(folder)
    check_population_folder(out, fmt, force)
    out.mkdir(parents=True, exist_ok=True)
    earlier = _marked(out)
    note = ("SYNTHETIC listener feedback generated by composer-assist learn generate "
            f"(seed {seed}); planted clusters in planted.csv. Not real listener data.")
    log_path = save_feedback_log(pop.log, out / f"feedback.{fmt}", comments=[note])
    atomic_write_json(out / "variants.json", pop.catalog.to_json())
    lines = ["listener,cluster,label"] + [f"{lid},{c},{pop.labels[c]}"
                                          for lid, c in zip(pop.log.listener_ids, pop.planted.tolist())]
    atomic_write_text(out / "planted.csv", "\n".join(lines) + "\n")
    counts = np.bincount(pop.planted, minlength=len(pop.labels))
    readme = [
        "SYNTHETIC listener population -- for demos, tests and benchmarks. Not real listener data.",
        f"Generated by `composer-assist learn generate` (seed {seed}); see docs/listeners.md.",
        f"{pop.log.n_listeners} listeners, {len(pop.log)} feedback events.",
        "", "Planted clusters:",
        *[f"  {i}: {lab} ({c} listeners)" for i, (lab, c) in enumerate(zip(pop.labels, counts.tolist()))],
        "", "Files: feedback.* (the log), variants.json (the variants heard), planted.csv (truth).",
        f"{MARKER} lists them, so that learn generate may replace them (and nothing else) later.",
    ]
    atomic_write_text(out / "README.txt", "\n".join(readme) + "\n")
    written = {name: _sha256(out / name) for name in population_files(fmt)[:-1]}
    # The other format's log of an earlier run no longer matches planted.csv (fit scored it against
    # the new truth: ARI -0.007): removed while it is generate's own and unchanged; an edited one is
    # someone's data and stays, no longer listed as generate's.
    for name, digest in earlier.items():
        if name not in written and name.startswith("feedback.") and (out / name).is_file() \
                and _sha256(out / name) == digest:
            (out / name).unlink()
    atomic_write_json(out / MARKER, {"format": MARKER_FORMAT, "files": written})
    return {"log": log_path, "variants": out / "variants.json", "planted": out / "planted.csv"}


def load_planted(path: str | Path, listener_ids: list[str]) -> np.ndarray:
    """Planted cluster per listener id (order of ``listener_ids``); -1 where unknown."""
    p = Path(path)
    mapping: dict[str, int] = {}
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FeedbackError(f"{p}: cannot read: {exc}") from None
    for no, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split(",")
        try:
            mapping[parts[0]] = int(parts[1])
        except (IndexError, ValueError):
            raise FeedbackError(f"{p}: line {no}: expected listener,cluster[,label]") from None
    return np.array([mapping.get(i, -1) for i in listener_ids], np.int64)


def read_catalog_beside(log_path: str | Path) -> VariantCatalog | None:
    """variants.json next to a log, if the generator (or the user) put one there."""
    p = Path(log_path).with_name("variants.json")
    if not p.is_file():
        return None
    return load_catalog(p)
