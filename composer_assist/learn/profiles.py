"""Cluster statistics (accumulated batch by batch) and the readable ClusterProfile built from them.

Per cluster k, context c and catalog variant j the statistics hold counts, summed liking and the
liking-weighted emotion offsets of what was heard.  A profile's shift is where liked music sits
relative to the scene; its tag weights are the liking a tag earns beyond what the distance to
that preferred emotion explains, converted to distance units (so the adaptive policy can subtract
them from distances directly).
"""

from __future__ import annotations

import numpy as np

from composer_assist.core.profile import CONTEXTS, ClusterProfile, ContextPreference, assign_names

from .catalog import VariantCatalog
from .features import N_CONTEXTS, RATING_LEVELS, EventArrays

# fields of the per (k, c, j) statistics
N, SUM_LIKE, SUM_W, SUM_W_DV, SUM_W_DA, SUM_SV, SUM_SA, N_KEPT = range(8)
N_STATS = 8
CONTEXT_WORDS = {
    "high_arousal_negative": "tense scenes",
    "high_arousal_positive": "exciting, happy scenes",
    "low_arousal_positive": "calm, content scenes",
    "low_arousal_negative": "sad, subdued scenes",
}
TAG_LABELS = {"tense": "suspense lovers", "calm": "comfort seekers", "playful": "playful optimists",
              "sad": "melancholics", "driving": "thrill seekers", "dark": "dark-music lovers",
              "bright": "brightness seekers", "melancholic": "melancholics", "warm": "comfort seekers"}


class ClusterStats:
    """Sufficient statistics per (cluster, context, variant); add batches, then build profiles."""

    def __init__(self, n_clusters: int, n_variants: int):
        self.table = np.zeros((n_clusters, N_CONTEXTS, n_variants, N_STATS))
        self.ratings = np.zeros((n_clusters, N_CONTEXTS, n_variants, RATING_LEVELS))
        self.listeners = np.zeros(n_clusters)
        self.slope = np.zeros(5)  # n, sum d, sum d^2, sum s, sum s*d (liking vs distance to scene)

    def add(self, ev: EventArrays, event_cluster: np.ndarray, listener_cluster: np.ndarray) -> None:
        k, c, j = self.table.shape[:3]
        cell = (event_cluster.astype(np.int64) * c + ev.context) * j + ev.variant
        size = k * c * j
        w = np.maximum(ev.liking, 0.0) ** 2  # only liked music says where the listener wants to be
        cols = (np.ones(len(ev)), ev.liking, w, w * ev.dv, w * ev.da, ev.scene_v, ev.scene_a, ev.kept)
        for f, col in enumerate(cols):
            self.table[..., f] += np.bincount(cell, weights=col, minlength=size).reshape(k, c, j)
        self.ratings += np.bincount(cell * RATING_LEVELS + ev.rating, minlength=size * RATING_LEVELS
                                    ).reshape(k, c, j, RATING_LEVELS)
        self.listeners += np.bincount(listener_cluster, minlength=k)
        d = np.hypot(ev.dv, ev.da)
        self.slope += (len(ev), d.sum(), (d * d).sum(), ev.liking.sum(), (ev.liking * d).sum())

    def permute(self, order: np.ndarray) -> None:
        """Renumber clusters: new cluster i is old cluster ``order[i]``."""
        self.table, self.ratings, self.listeners = self.table[order], self.ratings[order], self.listeners[order]

    def event_log_tables(self, smoothing: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log P(skip/keep | k, c, j), log P(rating level | k, c, j) and log prior, smoothed toward the population."""
        n = self.table[..., N]
        kept = self.table[..., N_KEPT]
        pop_rate = (kept.sum(0) + 1.0) / (n.sum(0) + 2.0)
        p_keep = (kept + smoothing * pop_rate) / (n + smoothing)
        log_keep = np.log(np.stack([1.0 - p_keep, p_keep], axis=-1))
        # rating level 0 means "no rating given"; its probability is the same for every cluster
        # in the generator and close to it in practice, so treat it as uninformative.
        rated = self.ratings[..., 1:]
        pop = (rated.sum(0) + 1.0) / (rated.sum(0).sum(-1, keepdims=True) + 5.0)
        p_rating = (rated + smoothing * pop) / (rated.sum(-1, keepdims=True) + smoothing)
        log_rating = np.concatenate([np.zeros(p_rating.shape[:-1] + (1,)), np.log(p_rating)], axis=-1)
        share = (self.listeners + 1.0) / (self.listeners.sum() + len(self.listeners))
        return log_keep, log_rating, np.log(share)

    def keep_rates(self, smoothing: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
        """P(keep) per (k, c, j) and for the whole population per (c, j)."""
        n = self.table[..., N]
        kept = self.table[..., N_KEPT]
        pop = (kept.sum(0) + 1.0) / (n.sum(0) + 2.0)
        return (kept + smoothing * pop) / (n + smoothing), pop

    def liking_slope(self) -> float:
        """How much liking falls per unit of distance from the scene (population-wide, >= 0.05)."""
        n, sd, sdd, ss, ssd = self.slope
        if n < 2:
            return 1.0
        var = sdd / n - (sd / n) ** 2
        cov = ssd / n - (sd / n) * (ss / n)
        return max(0.05, -cov / var) if var > 1e-12 else 1.0

    def profiles(self, catalog: VariantCatalog, ridge: float = 0.5) -> list[ClusterProfile]:
        var_v, var_a, onehot = catalog.arrays()
        tags = catalog.tags
        beta = self.liking_slope()
        total = self.listeners.sum()
        pop_like = self.table[..., SUM_LIKE].sum(0) / np.maximum(self.table[..., N].sum(0), 1)
        out = []
        for k in range(self.table.shape[0]):
            contexts = {}
            for ci, cname in enumerate(CONTEXTS):
                t = self.table[k, ci]
                n = t[:, N]
                if n.sum() < 1:
                    contexts[cname] = ContextPreference()
                    continue
                sw = t[:, SUM_W].sum()
                shrink = sw / (sw + 5.0)
                scene_v = t[:, SUM_SV].sum() / n.sum()
                scene_a = t[:, SUM_SA].sum() / n.sum()
                # where the liked music sat from the scene, less where everything heard sat: with no
                # preference at all the liked and the heard coincide and the shift is 0 (without the
                # baseline the catalog's layout read as a taste of +-0.5)
                heard_v, heard_a = n @ var_v / n.sum() - scene_v, n @ var_a / n.sum() - scene_a
                shift_v = float((t[:, SUM_W_DV].sum() / max(sw, 1e-9) - heard_v) * shrink)
                shift_a = float((t[:, SUM_W_DA].sum() / max(sw, 1e-9) - heard_a) * shrink)
                # liking per variant, shrunk toward the population's liking of it
                like = (t[:, SUM_LIKE] + 3.0 * pop_like[ci]) / (n + 3.0)
                dist = np.hypot(var_v - np.clip(scene_v + shift_v, -1, 1), var_a - np.clip(scene_a + shift_a, -1, 1))
                wts = n / n.sum()
                resid = (like - wts @ like) + beta * (dist - wts @ dist)
                x = onehot - wts @ onehot
                a = x.T @ (wts[:, None] * x) + ridge * 0.1 * np.eye(len(tags))
                w = np.linalg.solve(a, x.T @ (wts * resid)) / beta
                weights = {tg: round(float(np.clip(wt, -1.0, 1.0)), 3) for tg, wt in zip(tags, w) if abs(wt) >= 0.02}
                contexts[cname] = ContextPreference(round(float(np.clip(shift_v, -2, 2)), 3),
                                                    round(float(np.clip(shift_a, -2, 2)), 3), weights)
            size = int(self.listeners[k])
            out.append(ClusterProfile(cluster=k, size=size, share=round(size / total, 4) if total else 0.0,
                                      contexts=contexts))
        _label_and_describe(out)
        return out


def _label_and_describe(profiles: list[ClusterProfile]) -> None:
    for p in profiles:
        totals: dict[str, float] = {}
        for c in p.contexts.values():
            for t, w in c.tag_weights.items():
                totals[t] = totals.get(t, 0.0) + w
        best = max(totals, key=totals.get) if totals else None
        if best is None or totals[best] <= 0:
            label = "easy-going listeners"
        else:
            label = TAG_LABELS.get(best, f"{best} lovers")
        p.label, p.name = label, ""
        p.description = [_sentence(c, p.contexts[c]) for c in CONTEXTS if c in p.contexts]
    assign_names(profiles, number_labels=True)


def _sentence(context: str, pref: ContextPreference) -> str:
    parts = []
    if pref.valence_shift <= -0.1:
        parts.append("darker")
    elif pref.valence_shift >= 0.1:
        parts.append("brighter")
    if pref.arousal_shift >= 0.1:
        parts.append("denser, more energetic")
    elif pref.arousal_shift <= -0.1:
        parts.append("sparser, calmer")
    head = f"In {CONTEXT_WORDS[context]} prefers " + (" and ".join(parts) + " music than the scene"
                                                      if parts else "music that matches the scene")
    head += f" (valence {pref.valence_shift:+.2f}, arousal {pref.arousal_shift:+.2f})"
    likes = sorted((t for t, w in pref.tag_weights.items() if w >= 0.1), key=lambda t: -pref.tag_weights[t])
    dislikes = sorted((t for t, w in pref.tag_weights.items() if w <= -0.1), key=lambda t: pref.tag_weights[t])
    if likes:
        head += "; favours " + ", ".join(f"{t} ({pref.tag_weights[t]:+.2f})" for t in likes[:3])
    if dislikes:
        head += "; avoids " + ", ".join(f"{t} ({pref.tag_weights[t]:+.2f})" for t in dislikes[:3])
    return head + "."


def policy_choice(profile: ClusterProfile | None, scene_v: float, scene_a: float, catalog: VariantCatalog,
                  cue: str) -> int:
    """The variant the adaptive policy's rule would pick (nearest preferred emotion minus tag bonus)."""
    idx = [i for i, v in enumerate(catalog.variants) if v.cue == cue]
    if profile is None:
        tv, ta, pref = scene_v, scene_a, None
    else:
        tv, ta, pref = profile.preferred_emotion(scene_v, scene_a)
    best, best_score = idx[0], np.inf
    for i in idx:
        v = catalog.variants[i]
        score = float(np.hypot(v.valence - tv, v.arousal - ta))
        if pref is not None:
            score -= profile.tag_bonus(pref, v.tags)
        if score < best_score:
            best, best_score = i, score
    return best
