"""The feedback log held as columns: ``FeedbackLog``, its column names and the error summary."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from composer_assist.core.errors import FeedbackError

REQUIRED = ("listener", "timestamp", "cue", "variant", "valence", "arousal", "kept", "dwell")
OPTIONAL = ("rating", "physio")
COLUMNS = REQUIRED + OPTIONAL
MAX_REPORTED = 5


@dataclass
class FeedbackLog:
    """A validated log as columns; string columns are integer codes into the name lists."""

    listener_ids: list[str]
    listener: np.ndarray  # int32 codes into listener_ids
    timestamp: np.ndarray  # float64 seconds
    cue_names: list[str]
    cue: np.ndarray  # int32 codes into cue_names
    variant_names: list[str]
    variant: np.ndarray  # int32 codes into variant_names
    valence: np.ndarray
    arousal: np.ndarray
    kept: np.ndarray  # int8 0/1
    dwell: np.ndarray
    rating: np.ndarray  # float64, nan where absent
    physio: np.ndarray  # float64, nan where absent
    line: np.ndarray  # int32 physical line number of each row (for error messages)
    source: str = "<log>"

    def __len__(self) -> int:
        return int(self.listener.shape[0])

    @property
    def n_listeners(self) -> int:
        return len(self.listener_ids)

    def take(self, index: np.ndarray, compact: bool = True) -> "FeedbackLog":
        """Rows selected by a boolean mask or index array; ``compact`` drops listeners left with no rows."""
        cols = {k: getattr(self, k)[index] for k in _ARRAYS}
        ids = self.listener_ids
        if compact:
            present = np.unique(cols["listener"])
            remap = np.full(len(ids), -1, np.int32)
            remap[present] = np.arange(present.size, dtype=np.int32)
            cols["listener"] = remap[cols["listener"]]
            ids = [ids[i] for i in present.tolist()]
        return FeedbackLog(listener_ids=ids, cue_names=self.cue_names,
                           variant_names=self.variant_names, source=self.source, **cols)

    def for_listener(self, listener_id: str) -> "FeedbackLog":
        """One listener's rows (none if the id is not in the log)."""
        try:
            code = self.listener_ids.index(listener_id)
        except ValueError:
            return self.take(np.zeros(len(self), bool))
        return self.take(self.listener == code)

    def check_against(self, cues: dict[str, Sequence[str]]) -> None:
        """Fail on cues or variants the project does not have: ``cues`` maps cue -> variant names."""
        bad: list[tuple[int, str]] = []
        count = 0
        for ci, cname in enumerate(self.cue_names):
            rows = np.flatnonzero(self.cue == ci)
            if rows.size == 0:
                continue
            if cname not in cues:
                count += rows.size
                known = ", ".join(sorted(cues)) or "none"
                bad += [(int(self.line[r]), f"cue: unknown cue {cname!r} (known: {known})")
                        for r in rows[:MAX_REPORTED]]
                continue
            allowed = set(cues[cname])
            for vi, vname in enumerate(self.variant_names):
                if vname in allowed:
                    continue
                vrows = rows[self.variant[rows] == vi]
                if vrows.size:
                    count += vrows.size
                    bad += [(int(self.line[r]), f"variant: cue {cname!r} has no variant {vname!r} "
                             f"(known: {', '.join(cues[cname])})") for r in vrows[:MAX_REPORTED]]
        if bad:
            raise FeedbackError(summary(self.source, sorted(bad), count))

    def to_rows(self) -> Iterable[dict[str, Any]]:
        for i in range(len(self)):
            yield {"listener": self.listener_ids[self.listener[i]], "timestamp": float(self.timestamp[i]),
                   "cue": self.cue_names[self.cue[i]], "variant": self.variant_names[self.variant[i]],
                   "valence": float(self.valence[i]), "arousal": float(self.arousal[i]),
                   "kept": int(self.kept[i]), "dwell": float(self.dwell[i]),
                   "rating": None if math.isnan(self.rating[i]) else float(self.rating[i]),
                   "physio": None if math.isnan(self.physio[i]) else float(self.physio[i])}


_ARRAYS = ("listener", "timestamp", "cue", "variant", "valence", "arousal", "kept", "dwell", "rating",
           "physio", "line")


def summary(source: str, problems: list[tuple[int, str]], total: int) -> str:
    """One error message: ``source``, the first MAX_REPORTED (line, problem) pairs, and how many more."""
    text = "; ".join(f"line {ln}: {msg}" for ln, msg in problems[:MAX_REPORTED])
    more = total - min(len(problems), MAX_REPORTED)
    return f"{source}: {text}" + (f"; and {more} more bad line{'s' if more != 1 else ''}" if more > 0 else "")
