"""Listener feedback logs (CSV or JSON Lines): one row per variant a listener heard.

Columns (CSV header names / JSON keys; order is free):

=========  ========  ==========================================================================
listener   required  listener id (any text without commas)
timestamp  required  seconds since the Unix epoch, or ISO 8601 (``2024-05-01T20:15:03``)
cue        required  cue name (checked against a project when one is given)
variant    required  variant name heard (checked against the cue's variants)
valence    required  the scene's valence at that moment, in [-1, 1]
arousal    required  the scene's arousal at that moment, in [-1, 1]
kept       required  1 / keep / true if the listener kept the music on, 0 / skip / false if skipped
dwell      required  seconds the listener stayed with the variant, >= 0
rating     optional  explicit rating 1..5 (empty / null when not given)
physio     optional  physiological response: heart-rate or EDA change, z-scored (empty / null)
=========  ========  ==========================================================================

CSV lines starting with ``#`` are comments and blank lines are ignored; line numbers in errors
count every physical line.  Every row is validated; the error names the first bad lines.
Parsing is column-wise (one split of the text, numpy conversions) so a million rows take seconds.
"""

from .csv_format import feedback_to_csv, parse_csv
from .files import load_feedback_log, save_feedback_log
from .jsonl_format import events_from_records, feedback_to_jsonl, parse_jsonl
from .log import COLUMNS, MAX_REPORTED, OPTIONAL, REQUIRED, FeedbackLog
from .validate import kept_code, rating_code

__all__ = ["COLUMNS", "MAX_REPORTED", "OPTIONAL", "REQUIRED", "FeedbackLog", "events_from_records",
           "feedback_to_csv", "feedback_to_jsonl", "kept_code", "load_feedback_log", "parse_csv", "parse_jsonl",
           "rating_code", "save_feedback_log"]
