"""A listener's cluster from their feedback events, with the package's tables alone (numpy only).

``listeners.json`` is the JSON of ``learn export-profiles``: the cluster profiles
(``core.profile``) and the assignment tables (``learn.tables``): per cluster the log prior, and
per (cluster, emotion context, variant) the log likelihood of skipping or keeping and of each
rating.  The posterior formula is ``core.assignment.log_posterior``, the one the learner uses, so
the package assigns a listener to the cluster the model would.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import numpy as np

from composer_assist.core.assignment import kept_code, log_posterior, normalise, rating_code
from composer_assist.core.errors import PackageError
from composer_assist.core.profile import CONTEXTS, ClusterProfile, context_of, profiles_from_json

class ListenerTables:
    """Profiles and assignment tables of a package."""

    def __init__(self, data: Any, source: str) -> None:
        self.source = source
        self.profiles = sorted(profiles_from_json(data, source), key=lambda p: p.cluster)
        try:
            t = data["assignment"]
            self.variants = {(v["cue"], v["variant"]): j for j, v in enumerate(t["variants"])}
            self.log_prior = np.asarray(t["log_prior"], dtype=np.float64)
            self.log_keep = np.asarray(t["log_keep"], dtype=np.float64)
            self.log_rating = np.asarray(t["log_rating"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise PackageError(f"{source}: assignment tables malformed ({exc})") from None
        k, j = len(self.profiles), len(self.variants)
        if self.log_prior.shape != (k,) or self.log_keep.shape[:3] != (k, len(CONTEXTS), j):
            raise PackageError(f"{source}: assignment tables do not match the {k} profiles and {j} variants")

    def profile(self, key: str | int) -> ClusterProfile:
        """The profile with cluster number or name ``key``."""
        from composer_assist.core.profile import select_profile

        return select_profile(self.profiles, key, self.source)

    def assign(self, events: Iterable[Mapping[str, Any]], listener: str | None = None) -> tuple[ClusterProfile, np.ndarray]:
        """The most probable cluster of a listener's events (feedback-log columns as keys) and the posterior."""
        codes = []
        for i, e in enumerate(events):
            if listener is not None and str(e.get("listener")) != listener:
                continue
            j = self.variants.get((e.get("cue"), e.get("variant")))
            kept = kept_code(e.get("kept"))
            r = e.get("rating")
            rating = -1 if isinstance(r, float) and math.isinf(r) else rating_code(r)
            try:
                v, a = float(e["valence"]), float(e["arousal"])
            except (KeyError, TypeError, ValueError):
                v = a = math.nan
            if j is None or kept < 0 or rating < 0 or not (-1 <= v <= 1 and -1 <= a <= 1):
                raise PackageError(f"feedback event {i}: not an event of this package's catalog "
                                   f"(cue, variant, valence, arousal in [-1, 1], kept, rating 1..5)")
            codes.append((CONTEXTS.index(context_of(v, a)), j, kept, rating))
        arr = np.array(codes, dtype=np.int64).reshape(-1, 4)
        post = normalise(log_posterior(self.log_prior, self.log_keep, self.log_rating, *arr.T))
        return self.profiles[int(np.argmax(post))], post
