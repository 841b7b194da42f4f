"""Keyed pseudonyms for listener ids: HMAC-SHA256 under a secret key, before anything is fitted.

``learn fit --pseudonymise`` replaces every listener id in the feedback log with
``"p-" + HMAC-SHA256(key, id)`` (the first 32 hex digits, 128 bits) as soon as the log is read,
so the fit, its quality figures and everything after it only ever see pseudonyms.  Without the key
nobody can tell which pseudonym is which listener, or test a guessed id; with it, the service that
owns the ids can compute a listener's pseudonym again (``pseudonym(key, id)``), e.g. to pick their
events out of a pseudonymised log.  The key comes from a file (``--key-file``; its bytes, a final
newline dropped) or from the environment variable ``COMPOSER_ASSIST_PSEUDONYM_KEY``; at least 16
bytes.  Keep it out of the project and out of the package.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import replace
from pathlib import Path

from composer_assist.core.errors import FeedbackError
from composer_assist.learn.feedback_log import FeedbackLog

KEY_ENV = "COMPOSER_ASSIST_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
PREFIX = "p-"


def load_key(key_file: str | Path | None = None) -> bytes:
    """The pseudonym key from ``key_file``, else from $COMPOSER_ASSIST_PSEUDONYM_KEY (one-line errors)."""
    if key_file is not None:
        try:
            key = Path(key_file).read_bytes()
        except OSError as exc:
            raise FeedbackError(f"{key_file}: cannot read the pseudonym key: {exc.strerror or exc}") from None
        where = str(key_file)
        key = key[:-1] if key.endswith(b"\n") else key
        key = key[:-1] if key.endswith(b"\r") else key
    else:
        text = os.environ.get(KEY_ENV)
        if not text:
            raise FeedbackError(f"--pseudonymise needs a key: --key-file FILE or the environment variable {KEY_ENV}")
        key, where = text.encode("utf-8"), KEY_ENV
    if len(key) < MIN_KEY_BYTES:
        raise FeedbackError(f"{where}: the pseudonym key has {len(key)} bytes; use at least {MIN_KEY_BYTES} "
                            f"(e.g. `head -c 32 /dev/urandom > KEY`)")
    return key


def pseudonym(key: bytes, listener_id: str) -> str:
    """The keyed pseudonym of one listener id."""
    return PREFIX + hmac.new(key, listener_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def pseudonymise_log(log: FeedbackLog, key: bytes) -> FeedbackLog:
    """The same log with every listener id replaced by its pseudonym (events and order unchanged)."""
    return replace(log, listener_ids=[pseudonym(key, lid) for lid in log.listener_ids])


__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "load_key", "pseudonym", "pseudonymise_log"]
