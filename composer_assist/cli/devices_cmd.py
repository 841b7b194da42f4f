"""Subcommand: ``devices`` lists the audio output devices (PortAudio), the default marked."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list audio output devices",
                       description="List the audio output devices PortAudio sees (index, name, host API, "
                                   "output channels, default sample rate); * marks the default. Give a "
                                   "device to playback by index or (part of) its name.")
    p.add_argument("--check", metavar="DEVICE", default=None,
                   help="check one device (name, part of a name or index) can play 48 kHz stereo")
    p.set_defaults(func=run_devices)


def run_devices(args: argparse.Namespace) -> int:
    from composer_assist.audio.devices import check_format, find_device, list_devices

    if args.check is not None:
        dev = find_device(args.check)
        check_format(dev, 48000, 2, 512)
        print(f"{dev.index}: {dev.name} ({dev.hostapi}) plays 48000 Hz stereo in 512-frame blocks")
        return 0
    devices = list_devices()
    if not devices:
        print("no audio output device found (on a machine without a sound card, see docs/playback.md: "
              "a PulseAudio null sink)")
        return 1
    width = max(len(d.name) for d in devices)
    print(f"  {'#':>3}  {'name':<{width}}  {'host API':<10} {'out':>3}  default rate")
    for d in devices:
        mark = "*" if d.is_default else " "
        print(f"{mark} {d.index:>3}  {d.name:<{width}}  {d.hostapi:<10} {d.channels:>3}  {d.default_samplerate:.0f} Hz")
    print("\n* default output device")
    return 0
