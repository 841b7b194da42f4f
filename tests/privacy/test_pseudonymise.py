"""learn fit --pseudonymise: listener ids become keyed hashes (HMAC-SHA256) as the log is read;
nothing downstream needs the raw id, so the fit is the same."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pytest

from composer_assist.cli.main import main
from composer_assist.core.errors import FeedbackError
from composer_assist.learn.feedback_log import load_feedback_log, save_feedback_log
from composer_assist.learn.pseudonym import KEY_ENV, load_key, pseudonym, pseudonymise_log
from composer_assist.learn.store import ModelStore
from composer_assist.services.privacy_scan import find_ids

DEMO = Path(__file__).resolve().parents[2] / "projects" / "demo" / "listeners"
KEY = b"a secret key of the service, 32b"


@pytest.fixture(scope="module")
def small_log(tmp_path_factory) -> Path:
    log = load_feedback_log(DEMO / "feedback.csv")
    path = tmp_path_factory.mktemp("log") / "feedback.csv"
    save_feedback_log(log.take(log.listener < 400), path)
    return path


def test_pseudonym_is_a_keyed_hmac():
    assert pseudonym(KEY, "L0042") == "p-" + hmac.new(KEY, b"L0042", hashlib.sha256).hexdigest()[:32]
    assert pseudonym(KEY, "L0042") != pseudonym(KEY[::-1], "L0042")  # without the key, no link back
    assert pseudonym(KEY, "L0042") != pseudonym(KEY, "L0043")


def test_key_from_file_or_environment(tmp_path, monkeypatch):
    (tmp_path / "key").write_bytes(KEY + b"\n")
    assert load_key(tmp_path / "key") == KEY
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    assert load_key() == KEY
    (tmp_path / "short").write_bytes(b"short")
    with pytest.raises(FeedbackError, match="the pseudonym key has 5 bytes; use at least 16"):
        load_key(tmp_path / "short")
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(FeedbackError, match=f"--key-file FILE or the environment variable {KEY_ENV}"):
        load_key()


def test_fit_on_pseudonyms_is_the_same_fit(small_log, tmp_path, monkeypatch, capsys):
    log = load_feedback_log(small_log)
    pseudo = pseudonymise_log(log, KEY)
    assert pseudo.listener_ids == [pseudonym(KEY, i) for i in log.listener_ids]
    assert not set(pseudo.listener_ids) & set(log.listener_ids) and np.array_equal(pseudo.listener, log.listener)
    monkeypatch.setenv(KEY_ENV, KEY.decode())
    args = ["learn", "fit", str(small_log), "-o", "taste", "--seed", "3", "--clusters", "4"]
    assert main(args + ["--store", str(tmp_path / "raw")]) == 0
    assert main(args + ["--store", str(tmp_path / "pseudo"), "--pseudonymise"]) == 0
    raw, pse = (ModelStore(tmp_path / d).read_meta("taste")[1] for d in ("raw", "pseudo"))
    assert raw["profiles"] == pse["profiles"]  # same clusters: nothing needed the raw ids
    assert raw["quality"]["new_listeners"] == pse["quality"]["new_listeners"]
    files = [tmp_path / "raw" / "taste.npz", tmp_path / "pseudo" / "taste.npz"]
    assert find_ids(files, log.listener_ids + pseudo.listener_ids) == []
    monkeypatch.delenv(KEY_ENV)
    capsys.readouterr()
    assert main(args + ["--store", str(tmp_path / "x"), "--pseudonymise"]) == 2
    assert "needs a key" in capsys.readouterr().err
