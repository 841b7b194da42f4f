"""Audio output devices through PortAudio (``sounddevice``): list them, find one by name or
index, check a format before opening, and turn PortAudio's errors into one-line
:class:`AudioDeviceError` messages that name the device and say what to do.

``sounddevice`` is imported on first use, not with this module: importing it initialises
PortAudio (which scans ALSA and may print to stderr), and a machine without ``libportaudio2``
must still render, adapt and run ``NullOutput``.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

from composer_assist.core.errors import AudioDeviceError
from composer_assist.core.suggest import did_you_mean

MIN_BLOCK, MAX_BLOCK = 16, 8192


@dataclass(frozen=True)
class DeviceInfo:
    """One output device as PortAudio lists it."""
    index: int
    name: str
    hostapi: str
    channels: int  # maximum output channels
    default_samplerate: float
    is_default: bool

    def label(self) -> str:
        return f"{self.name!r} (device {self.index}, {self.hostapi})"


def sounddevice() -> Any:
    """The ``sounddevice`` module, or an AudioDeviceError saying what to install."""
    try:
        import sounddevice as sd
    except OSError as exc:  # the wheel is there but PortAudio's shared library is not
        raise AudioDeviceError(f"audio output needs the PortAudio library ({exc}): install "
                               "libportaudio2 (Debian/Ubuntu: apt-get install libportaudio2)") from None
    except ImportError as exc:
        raise AudioDeviceError(f"audio output needs the sounddevice package ({exc}): "
                               "pip install sounddevice rtmixer") from None
    return sd


def refresh() -> None:
    """Re-scan devices (PortAudio lists devices once, when it starts): call it after plugging
    in a device or starting a sound server, with no stream open."""
    sd = sounddevice()
    sd._terminate()
    sd._initialize()


def list_devices() -> list[DeviceInfo]:
    """The output devices (those with at least one output channel), in PortAudio's order."""
    sd = sounddevice()
    try:
        default = _default_output_index(sd)
        apis = [api["name"] for api in sd.query_hostapis()]
        found = sd.query_devices()
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot list audio devices: {_pa_text(exc)}") from None
    return [DeviceInfo(int(d["index"]), str(d["name"]), apis[d["hostapi"]], int(d["max_output_channels"]),
                       float(d["default_samplerate"]), int(d["index"]) == default)
            for d in found if d["max_output_channels"] > 0]


def _default_output_index(sd: Any) -> int:
    try:
        return int(sd.default.device[1])
    except (TypeError, ValueError, IndexError):
        return -1


def find_device(name_or_index: str | int | None) -> DeviceInfo:
    """An output device by index (``3`` or ``"3"``), exact name, or a unique part of its name
    (case-insensitive); ``None`` is the default output device."""
    devices = list_devices()
    if not devices:
        raise AudioDeviceError("no audio output device found: connect one, or on a machine without a "
                               "sound card start a PulseAudio null sink (docs/playback.md, Audio output)")
    if name_or_index is None:
        default = [d for d in devices if d.is_default]
        if not default:
            raise AudioDeviceError("no default audio output device: choose one by name "
                                   "(composer-assist devices lists them)")
        return default[0]
    if isinstance(name_or_index, int) or str(name_or_index).strip().isdigit():
        index = int(name_or_index)
        for d in devices:
            if d.index == index:
                return d
        shown = ", ".join(str(d.index) for d in devices)
        raise AudioDeviceError(f"audio device {index} is not an output device or is missing "
                               f"(output devices: {shown}); composer-assist devices lists them")
    name = str(name_or_index).strip()
    exact = [d for d in devices if d.name.lower() == name.lower()]
    partial = exact or [d for d in devices if name.lower() in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = [d.name for d in devices]
    if not partial:
        raise AudioDeviceError(f"unknown audio output device {name!r}; {did_you_mean(name, names)}"
                               f"available: {', '.join(repr(n) for n in names)}")
    raise AudioDeviceError(f"audio device name {name!r} matches {len(partial)} devices "
                           f"({', '.join(d.label() for d in partial)}): give the full name or the index")


def check_format(device: DeviceInfo, samplerate: int, channels: int, block: int) -> None:
    """Raise AudioDeviceError if ``device`` cannot play this format (checked before opening)."""
    if not isinstance(block, int) or not MIN_BLOCK <= block <= MAX_BLOCK:
        raise AudioDeviceError(f"block size {block!r} frames is not supported: use {MIN_BLOCK}..{MAX_BLOCK} "
                               "frames (256 or 512 are usual)")
    if channels > device.channels:
        raise AudioDeviceError(f"audio device {device.label()} has {device.channels} output channel(s), "
                               f"{channels} needed: choose another device")
    if not isinstance(samplerate, int) or samplerate <= 0:
        raise AudioDeviceError(f"sample rate {samplerate!r} is not a positive whole number of Hz")
    sd = sounddevice()
    try:
        sd.check_output_settings(device=device.index, channels=channels, dtype="float32",
                                 samplerate=samplerate)
    except sd.PortAudioError as exc:
        raise open_error(exc, device, samplerate, block, channels) from None


def open_error(exc: Exception, device: DeviceInfo, samplerate: int, block: int,
               channels: int = 2) -> AudioDeviceError:
    """A one-line AudioDeviceError for a PortAudio error raised opening or starting ``device``."""
    sd = sounddevice()
    code = exc.args[1] if len(exc.args) > 1 else None
    text = _pa_text(exc)
    lib = sd._lib
    where = f"audio device {device.label()}"
    if code == lib.paInvalidSampleRate:
        return AudioDeviceError(f"{where} does not support {samplerate} Hz (its default is "
                                f"{device.default_samplerate:.0f} Hz): render at a rate it plays, or use "
                                "the 'default' or 'pulse' device, which resample")
    if code in (lib.paBufferTooBig, lib.paBufferTooSmall):
        return AudioDeviceError(f"{where} does not accept blocks of {block} frames: try 256, 512 or 1024")
    if code == lib.paInvalidChannelCount:
        return AudioDeviceError(f"{where} cannot play {channels} channels: choose another device")
    if code in (lib.paDeviceUnavailable, lib.paInvalidDevice) or _busy(text):
        return AudioDeviceError(f"{where} is busy or gone ({text}): close the program using it, "
                                "reconnect it, or choose another device (composer-assist devices)")
    return AudioDeviceError(f"{where} failed: {text}")


def _busy(text: str) -> bool:
    low = text.lower()
    return "busy" in low or "no such device" in low or "unavailable" in low


def _pa_text(exc: Exception) -> str:
    """PortAudio's message with the host API's own (ALSA's) detail when there is one."""
    parts = [str(exc.args[0]) if exc.args else str(exc)]
    host = exc.args[2] if len(exc.args) > 2 else None  # sounddevice: (host API, code, text)
    if isinstance(host, tuple) and host and isinstance(host[-1], str) and host[-1]:
        parts.append(host[-1])
    return ": ".join(parts)


def enable_realtime_priority(stream: Any, hostapi: str) -> bool:
    """Ask PortAudio to run this (not yet started) ALSA stream's callback thread with SCHED_FIFO
    priority, so a busy machine does not delay it; without the right (root, or an rtprio limit)
    PortAudio silently keeps the normal priority.  False for other host APIs."""
    if hostapi != "ALSA":
        return False
    sd = sounddevice()
    try:
        lib = ctypes.CDLL(sd._libname)  # the library sounddevice already loaded: same instance
        fn = lib.PaAlsa_EnableRealtimeScheduling
    except (OSError, AttributeError):
        return False
    fn.argtypes, fn.restype = [ctypes.c_void_p, ctypes.c_int], None
    fn(int(sd._ffi.cast("uintptr_t", stream._ptr)), 1)
    return True
