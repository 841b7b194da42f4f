"""Listener cluster profiles: readable preference weights that re-weight the choice of variant.

A profile is learned by ``composer_assist.learn`` and consumed by the adaptive policy and by cue
packages, so it lives here as plain data with a JSON form (never pickle).

How a profile bends the choice: in each emotion *context* (the quadrant of the scene's valence /
arousal), the listener prefers music shifted from the scene's emotion by
(``valence_shift``, ``arousal_shift``) -- e.g. darker (negative valence shift) and denser (positive
arousal shift) in tense scenes -- and likes or dislikes variants by their tags (``tag_weights``,
positive = preferred, in units of valence/arousal distance).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import ProjectError
from .fields import Fields

PROFILE_SCHEMA_VERSION = 1
CONTEXTS = ("high_arousal_positive", "high_arousal_negative", "low_arousal_positive", "low_arousal_negative")
_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def context_of(valence: float, arousal: float) -> str:
    """The emotion context (quadrant) of a scene moment."""
    a = "high_arousal" if arousal >= 0 else "low_arousal"
    v = "positive" if valence >= 0 else "negative"
    return f"{a}_{v}"


@dataclass
class ContextPreference:
    valence_shift: float = 0.0
    arousal_shift: float = 0.0
    tag_weights: dict[str, float] = field(default_factory=dict)


@dataclass
class ClusterProfile:
    cluster: int
    label: str = ""  # words, e.g. "suspense lovers"
    size: int = 0
    share: float = 0.0  # fraction of the listener population
    contexts: dict[str, ContextPreference] = field(default_factory=dict)
    description: list[str] = field(default_factory=list)  # sentences, e.g. "in tense scenes prefers darker"
    name: str = ""  # unique readable id for command lines, e.g. "suspense-lovers" (see assign_names)

    def preferred_emotion(self, valence: float, arousal: float) -> tuple[float, float, ContextPreference]:
        """The emotion this listener wants to hear in a scene of (valence, arousal)."""
        pref = self.contexts.get(context_of(valence, arousal), ContextPreference())
        v = min(1.0, max(-1.0, valence + pref.valence_shift))
        a = min(1.0, max(-1.0, arousal + pref.arousal_shift))
        return v, a, pref

    def blended_preference(self, valence: float, arousal: float, width: float = 0.15) -> ContextPreference:
        """The four contexts' preferences mixed by soft quadrant weights (logistic of valence and
        arousal over ``width``), so the preference glides across a quadrant edge instead of
        jumping there (a hard edge makes a scene hovering on it thrash between variants)."""
        if width <= 0:
            return self.contexts.get(context_of(valence, arousal), ContextPreference())
        hi = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, arousal / width))))
        pos = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, valence / width))))
        weights = {"high_arousal_positive": hi * pos, "high_arousal_negative": hi * (1.0 - pos),
                   "low_arousal_positive": (1.0 - hi) * pos, "low_arousal_negative": (1.0 - hi) * (1.0 - pos)}
        out = ContextPreference()
        for key, w in weights.items():
            pref = self.contexts.get(key)
            if pref is None or w == 0.0:
                continue
            out.valence_shift += w * pref.valence_shift
            out.arousal_shift += w * pref.arousal_shift
            for tag, tw in pref.tag_weights.items():
                out.tag_weights[tag] = out.tag_weights.get(tag, 0.0) + w * tw
        return out

    def tag_bonus(self, pref: ContextPreference, tags: list[str]) -> float:
        return sum(pref.tag_weights.get(t, 0.0) for t in tags)

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster, "name": self.name, "label": self.label, "size": self.size, "share": self.share,
            "contexts": {k: {"valence_shift": c.valence_shift, "arousal_shift": c.arousal_shift,
                             "tag_weights": dict(c.tag_weights)} for k, c in self.contexts.items()},
            "description": list(self.description),
        }

    @classmethod
    def from_json(cls, data: Any, source: str = "<profile>", path: str = "") -> "ClusterProfile":
        f = Fields(data, path, source, ProjectError)
        contexts = {}
        for key, raw in f.dict("contexts", {}).items():
            if key not in CONTEXTS:
                raise f.fail(f"unknown context {key!r} (known: {', '.join(CONTEXTS)})", f.where("contexts"))
            g = Fields(raw, f"{f.where('contexts')}.{key}", source, ProjectError)
            weights = {t: g.check_num(w, f"{g.where('tag_weights')}.{t}")
                       for t, w in g.dict("tag_weights", {}).items()}
            contexts[key] = ContextPreference(g.num("valence_shift", 0.0, lo=-2, hi=2),
                                              g.num("arousal_shift", 0.0, lo=-2, hi=2), weights)
        name = f.str("name", "")
        if name and (not _NAME.fullmatch(name) or name.isdigit()):
            raise f.fail(f"{name!r} is not a profile name (lowercase letters, digits and '-', not only digits)",
                         f.where("name"))
        description = f.list("description", [])
        for i, sentence in enumerate(description):
            if not isinstance(sentence, str):
                raise f.fail("expected a string", f"{f.where('description')}[{i}]")
        return cls(cluster=f.int("cluster", lo=0), label=f.str("label", ""), size=f.int("size", 0, lo=0),
                   share=f.num("share", 0.0, lo=0.0, hi=1.0), contexts=contexts,
                   description=list(description), name=name)


def profile_name(label: str) -> str:
    """A command-line id from a label: "suspense lovers (2)" -> "suspense-lovers-2"; never empty or all digits."""
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return slug if slug and not slug.isdigit() else f"cluster-{slug}".rstrip("-")


def assign_names(profiles: list[ClusterProfile], number_labels: bool = False) -> None:
    """Give each profile without a name a unique one from its label ("comfort-seekers", then
    "comfort-seekers-2", ...); with ``number_labels`` a repeated label gets the same number
    ("comfort seekers (2)").  Profiles are named in cluster order, so stable ids give stable names."""
    used = {p.name for p in profiles if p.name}
    for p in profiles:
        if p.name:
            continue
        base, n = profile_name(p.label or f"cluster {p.cluster}"), 1
        while (base if n == 1 else f"{base}-{n}") in used:
            n += 1
        p.name = base if n == 1 else f"{base}-{n}"
        used.add(p.name)
        if number_labels and n > 1:
            p.label = f"{p.label} ({n})"


def select_profile(profiles: list[ClusterProfile], key: str | int, source: str) -> ClusterProfile:
    """The profile with cluster number ``key`` ("2") or with name or label ``key`` ("suspense-lovers")."""
    text = str(key).strip()
    for p in profiles:
        if text and ((text.isdigit() and p.cluster == int(text)) or text.lower() in (p.name, p.label.lower())):
            return p
    known = ", ".join(f"{p.cluster} {p.name}" for p in profiles) or "none"
    raise ProjectError(f"{source}: no listener cluster {text} (clusters: {known})")


def profiles_to_json(profiles: list[ClusterProfile]) -> dict[str, Any]:
    return {"schema_version": PROFILE_SCHEMA_VERSION, "profiles": [p.to_json() for p in profiles]}


def profiles_from_json(data: Any, source: str = "<profiles>") -> list[ClusterProfile]:
    f = Fields(data, "", source, ProjectError)
    version = f.int("schema_version")
    if version != PROFILE_SCHEMA_VERSION:
        raise f.fail(f"profile schema version {version} is not supported (expected {PROFILE_SCHEMA_VERSION})",
                     "schema_version")
    profiles = [ClusterProfile.from_json(p, source, f"profiles[{i}]") for i, p in enumerate(f.list("profiles"))]
    for attr in ("cluster", "name"):
        seen: dict[Any, int] = {}
        for i, p in enumerate(profiles):
            value = getattr(p, attr)
            if value in seen and value != "":
                raise f.fail(f"{value!r} is also profiles[{seen[value]}].{attr}; each profile needs its own",
                             f"profiles[{i}].{attr}")
            seen[value] = i
    assign_names(profiles)  # files written before profiles had names
    return profiles
