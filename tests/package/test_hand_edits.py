"""Hand-edited manifests and forged stems: `validate` and the runtime (`play-package`) refuse the
same ones, in one line naming the file and the field, and neither plays garbage or stops on a
traceback."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil

import numpy as np
import pytest
import soundfile as sf
from pydantic import ValidationError

from composer_assist.cli.main import main
from composer_assist.core.errors import PackageError
from composer_assist.core.trace import save_trace
from composer_assist.package.manifest import Manifest

from package_testkit import DELETE, edited, field_name, one_field_edits, swinging_trace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("trace") / "swing.csv"
    save_trace(swinging_trace(4.0), path)
    return path


@pytest.fixture(scope="module")
def base_manifest(short_package):
    return json.loads((short_package[0] / "manifest.json").read_text())


def _copy_with(folder, tmp_path, manifest_text: str | None = None, files: dict[str, bytes] | None = None):
    """A copy of a package folder with another manifest text and/or files replaced, their
    size and SHA-256 put in the manifest as a forger would."""
    copy = tmp_path / "edited.pkg"
    shutil.copytree(folder, copy)
    m = json.loads((copy / "manifest.json").read_text())
    for rel, data in (files or {}).items():
        (copy / rel).write_bytes(data)
        entry = next(f for f in m["files"] if f["path"] == rel)
        entry.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    (copy / "manifest.json").write_text(manifest_text if manifest_text is not None else json.dumps(m))
    return copy


def _refusals(capsys, pkg, trace_file, tmp_path, codec="flac"):
    """(validate's error line, play-package's error line): each command's one line on stderr, exit 2."""
    out = []
    for args in (["validate", str(pkg)],
                 ["play-package", str(pkg), "--trace", str(trace_file), "--codec", codec, "-o", str(tmp_path / "w.wav")]):
        code = main(args)
        err = capsys.readouterr().err.strip()
        assert code == 2 and err.startswith("error: ") and "\n" not in err, (args[0], code, err)
        out.append(err)
    assert not (tmp_path / "w.wav").exists()
    return out


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_literals_are_refused(short_package, tmp_path, capsys, trace_file, literal):
    folder, _ = short_package
    text = (folder / "manifest.json").read_text()
    text, n = re.subn(r'("bpm": )120\.0', rf"\g<1>{literal}", text)
    assert n == 1
    # validate refused a bpm of Infinity only by luck (the runtime did); NaN passed json.loads
    for err in _refusals(capsys, _copy_with(folder, tmp_path, text), trace_file, tmp_path):
        assert f"manifest.json: cue.tempo[0].bpm: {literal} is not a number JSON allows" in err, err


# One-field edits of the QA pass: play-package stopped on a traceback (AttributeError, OverflowError,
# ValueError, MemoryError), played garbage, or played what validate refuses (or the other way round).
_QA_EDITS = [
    ("adaptive.policy", 0), ("adaptive.policy", None), ("adaptive.calibration", 5),
    ("adaptive.calibration.enabled", "yes"), ("adaptive.policy.arousal_weight", -1),
    ("variants[0].layers[0].stem.frames", 1e300), ("loudness.peak_block", 1e300), ("loudness.window_hop", 1e300),
    ("rules[0].bars", 1e300), ("rules[0].fade_beats", 1e300), ("loop.start_beat", 1e300),
    ("variants[0].layers[0].stem.flac.path", 5), ("stingers[0].stem.flac.path", True),
    ("variants[0].intensity", []), ("variants[0].layers", "x"), ("variants[0].layers", [1, 2, 3]),
    ("variants[0].layers[0]", None), ("variants[0].layers[0].stem", []), ("stingers[0].stem", "x"),
    ("loudness", 5), ("cue.length_bars", 10 ** 20), ("cue.meter.denominator", 10 ** 20),
    ("cue.meter.numerator", 10 ** 20), ("variants[0].level_offset_lu", 1e20),
    ("variants[0].loudness_windows[0]", []), ("variants[0].loudness_windows[0][0]", 1e20),
    ("variants[0].layers[0].stem.scale", 1e20), ("stingers[0].stem.scale", 5), ("variants[0].layers[0].fade", 50),
    ("variants[0].layers[0].intensity", [0.0, 7.0]), ("variants[0].intensity", [0.8, 0.2]),
    ("cue.tempo[0].bpm", 1e300), ("cue.tempo", []), ("cue.tempo[0].sample", None), ("cue.length_beats", 0),
    ("cue.length_beats", 12.0), ("cue.tempo[0].beat", 0.5), ("cue.meter.denominator", True),
    # named by what no longer matches it: the variant's loudness table is of two layers
    ("variants[0].layers", [], "variants[0].loudness_windows[0]"),
]
QA_EDITS = [(field, value, named[0] if named else field) for field, value, *named in _QA_EDITS]


def _path(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", name))


@pytest.mark.parametrize("field, value, named", QA_EDITS, ids=[f"{e[0]}={e[1]!r}"[:60] for e in QA_EDITS])
def test_a_hand_edit_is_refused_by_validate_and_play_package_naming_the_field(
        short_package, base_manifest, tmp_path, capsys, trace_file, field, value, named):
    folder, _ = short_package
    pkg = _copy_with(folder, tmp_path, json.dumps(edited(base_manifest, _path(field), value)))
    for err in _refusals(capsys, pkg, trace_file, tmp_path):
        got = re.search(r"manifest\.json: ([^:]+):", err).group(1)
        assert got.startswith(named) or named.startswith(got), err  # the field, an item of it or its container


def _validate_verdict(m) -> str | None:
    """The field validate names for manifest ``m`` (schema, then consistency), or None: valid."""
    from composer_assist.runtime.manifest_check import check_consistency

    fail = lambda message, member=None: PackageError(f"pkg: {member}: {message}")  # noqa: E731
    try:
        Manifest.model_validate_json(json.dumps(m), strict=True)
        check_consistency(m, fail)
    except ValidationError as exc:
        loc = [x for x in exc.errors()[0]["loc"] if x not in ("float", "str", "bool", "int", "none")]
        return "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".")
    except PackageError as exc:
        return str(exc).split(": ")[2]
    return None


def test_validate_and_the_runtime_refuse_the_same_one_field_edits(base_manifest):
    """Every field of a real manifest set to each of a set of odd values (about 4000 manifests):
    the runtime's check (no pydantic) refuses exactly what validate's refuses, naming the field."""
    from composer_assist.runtime.manifest_check import check_manifest

    fail = lambda message, member=None: PackageError(f"pkg: {member}: {message}")  # noqa: E731
    disagree, refused = [], 0
    for path, value in one_field_edits(base_manifest):
        m = edited(base_manifest, path, value)
        want = _validate_verdict(m)
        try:
            check_manifest(m, fail)
            got = None
        except PackageError as exc:
            got = str(exc).split(": ")[2]
        refused += want is not None
        if (want is None) != (got is None) or (got is not None and not want.startswith(got)):
            disagree.append((field_name(path), "DELETE" if value is DELETE else value, want, got))
    assert not disagree, disagree[:10]
    assert refused > 3000


def _flac(audio: np.ndarray, sr: int = 48000) -> bytes:
    out = io.BytesIO()
    sf.write(out, audio, sr, format="FLAC", subtype="PCM_24")
    return out.getvalue()


def _float_wav(value: float, frames: int) -> bytes:
    out = io.BytesIO()
    sf.write(out, np.full((frames, 2), value, dtype=np.float32), 48000, format="WAV", subtype="FLOAT")
    return out.getvalue()


def _loud_opus(frames: int) -> bytes:
    """An Ogg/Opus stem of the right length whose samples decode to about +/-40: as the exporter
    writes one (our own encoder and pages), from samples no export has."""
    from composer_assist.package.opus import encode_packets, ogg_opus

    x = np.full((frames, 2), 100.0, dtype=np.float32)
    x[::2] *= -1
    packets, pre_skip = encode_packets(x, 160_000, 5)
    return ogg_opus(packets, pre_skip, frames, 7, "forger")


@pytest.mark.parametrize("kind, codec, why", [
    ("random bytes", "flac", "cannot decode"),
    ("1000 frames", "flac", "1000 frames x 2 channels at 48000 Hz, expected"),
    ("mono", "flac", "x 1 channels at 48000 Hz, expected"),
    ("44.1 kHz", "flac", "x 2 channels at 44100 Hz, expected"),
    ("NaN float WAV", "flac", "a WAV/FLOAT file, not FLAC"),
    ("+60 dBFS float WAV", "flac", "a WAV/FLOAT file, not FLAC"),
    ("+32 dBFS Opus", "opus", "holds samples up to +3"),
])
def test_a_replaced_stem_is_refused_by_validate_and_play_package(short_package, tmp_path, capsys, trace_file,
                                                                 kind, codec, why):
    folder, result = short_package
    stem = result.manifest.variants[0].layers[0].stem
    rel, n = getattr(stem, codec).path, stem.frames + stem.tail_frames
    data = {"random bytes": lambda: np.random.default_rng(0).bytes(5000),
            "1000 frames": lambda: _flac(np.zeros((1000, 2))),
            "mono": lambda: _flac(np.zeros((n, 1))),
            "44.1 kHz": lambda: _flac(np.zeros((n, 2)), 44100),
            "NaN float WAV": lambda: _float_wav(np.nan, n),
            "+60 dBFS float WAV": lambda: _float_wav(1000.0, n),
            "+32 dBFS Opus": lambda: _loud_opus(n)}[kind]()
    pkg = _copy_with(folder, tmp_path, files={rel: data})
    # validate passed them all (play-package refused the first four, and played the rest)
    for err in _refusals(capsys, pkg, trace_file, tmp_path, codec):
        assert f"{rel}: " in err and why in err, err


def test_an_export_whose_stem_would_pass_what_a_player_takes_is_refused(short_project, short_render, tmp_path,
                                                                        monkeypatch):
    from composer_assist.package import export as export_mod
    from composer_assist.package.export import export_package

    monkeypatch.setattr(export_mod, "stem_scale", lambda audio: 8.0)  # a layer peaking past +12 dBFS
    with pytest.raises(PackageError, match=r"stems/00-calm/00-pad: peaks above \+12 dBFS .*lower the layer's fader"):
        export_package(short_project, "short", tmp_path / "loud.pkg", render=short_render, jobs=1)
    assert list(tmp_path.iterdir()) == []


def test_the_generated_schemas_are_the_models(root):
    from composer_assist.package.manifest import player_schema_source, runtime_schema_source

    # the runtime and the web player check a manifest against these: the models' own schema
    assert (root / "composer_assist/runtime/manifest_schema.py").read_text() == runtime_schema_source()
    assert (root / "player/js/manifestSchema.js").read_text() == player_schema_source()
