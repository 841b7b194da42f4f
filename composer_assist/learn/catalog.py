"""The variants listeners can hear: (cue, variant) -> emotion target and tags.

Features and profiles speak of tags and valence/arousal, not of variant names, so a model learned
on one cue transfers to any cue whose variants carry the same tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from composer_assist.core.errors import FeedbackError, ProjectError
from composer_assist.learn.feedback_log import FeedbackLog
from composer_assist.core.fields import Fields, unprintable


@dataclass
class CatalogVariant:
    cue: str
    name: str
    valence: float
    arousal: float
    tags: list[str] = field(default_factory=list)


@dataclass
class VariantCatalog:
    variants: list[CatalogVariant]

    @property
    def tags(self) -> list[str]:
        """All tags, in first-seen order (the feature schema depends on this order)."""
        seen: dict[str, None] = {}
        for v in self.variants:
            for t in v.tags:
                seen.setdefault(t, None)
        return list(seen)

    def cues(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for v in self.variants:
            out.setdefault(v.cue, []).append(v.name)
        return out

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Valence (n,), arousal (n,), tag indicator matrix (n, n_tags)."""
        tags = self.tags
        onehot = np.zeros((len(self.variants), len(tags)))
        for i, v in enumerate(self.variants):
            for t in v.tags:
                onehot[i, tags.index(t)] = 1.0
        return (np.array([v.valence for v in self.variants]), np.array([v.arousal for v in self.variants]), onehot)

    def index_of_rows(self, log: FeedbackLog) -> np.ndarray:
        """Catalog index of every log row; unknown (cue, variant) pairs are a FeedbackError."""
        log.check_against(self.cues())
        lookup = {(v.cue, v.name): i for i, v in enumerate(self.variants)}
        table = np.full((len(log.cue_names), len(log.variant_names)), -1, np.int32)
        for ci, c in enumerate(log.cue_names):
            for vi, name in enumerate(log.variant_names):
                table[ci, vi] = lookup.get((c, name), -1)
        return table[log.cue, log.variant]

    def to_json(self) -> dict[str, Any]:
        return {"variants": [{"cue": v.cue, "name": v.name, "valence": v.valence, "arousal": v.arousal,
                              "tags": list(v.tags)} for v in self.variants]}

    @classmethod
    def from_json(cls, data: Any, source: str = "<variants>") -> "VariantCatalog":
        f = Fields(data, "", source, FeedbackError)
        out = []
        for i, raw in enumerate(f.list("variants")):
            g = Fields(raw, f"variants[{i}]", source, FeedbackError)
            tags = g.list("tags", [])
            if not all(isinstance(t, str) for t in tags):
                raise g.fail("expected a list of strings", g.where("tags"))
            for n, t in enumerate(tags):  # tags are printed: in profile sentences, report, picture
                bad = unprintable(t)
                if bad is not None:
                    raise g.fail(f"contains {bad}, which no name or word holds", f"{g.where('tags')}[{n}]")
            out.append(CatalogVariant(g.str("cue"), g.str("name"), g.num("valence", lo=-1, hi=1),
                                      g.num("arousal", lo=-1, hi=1), list(tags)))
        if not out:
            raise FeedbackError(f"{source}: variants: the catalog is empty")
        return cls(out)


def default_catalog() -> VariantCatalog:
    """Four variants like the demo project's cue, for when no project is given."""
    return VariantCatalog([
        CatalogVariant("night_chase", "calm", 0.5, -0.5, ["calm", "warm"]),
        CatalogVariant("night_chase", "tense", -0.6, 0.7, ["tense", "dark", "driving"]),
        CatalogVariant("night_chase", "playful", 0.7, 0.5, ["playful", "bright", "light"]),
        CatalogVariant("night_chase", "sad", -0.6, -0.5, ["sad", "melancholic"]),
    ])


def catalog_from_project(project_path: str | Path, cue: str | None = None) -> VariantCatalog:
    """The variants of one cue (or of every cue) of a project."""
    from composer_assist.core.project import load_project

    project = load_project(project_path, check_files=False)
    cues = project.cues
    if cue is not None:
        try:
            cues = [project.cue(cue)]
        except KeyError as exc:
            raise ProjectError(f"{project.path}: {exc.args[0]}") from None
    out = [CatalogVariant(c.name, v.name, v.valence, v.arousal, list(v.tags)) for c in cues for v in c.variants]
    if not out:
        raise ProjectError(f"{project.path}: no variants to learn preferences over")
    return VariantCatalog(out)


def load_catalog(path: str | Path) -> VariantCatalog:
    from .jsonio import read_json

    return VariantCatalog.from_json(read_json(path, FeedbackError), str(path))
