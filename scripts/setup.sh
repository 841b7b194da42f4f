#!/usr/bin/env bash
# Installs Composer Assist into ./.venv (created on first use).
#   scripts/setup.sh            the package and what the demo needs (Faust instruments ship in plugins/)
#   scripts/setup.sh --test     also the test tools and the Debian plugins the tests use
# Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup: need root (or sudo) to run: $*" >&2; return 1; fi; }

if [ "$want_test" = 1 ]; then
  # Debian plugins and tools used by the tests: real VST instruments/effects, a C compiler for the
  # deliberately crashing test plugin, and an audio stack with no sound card: PortAudio, ALSA's
  # PulseAudio plugin and a PulseAudio server whose null sink the output tests play into and record.
  pkgs="amsynth dpf-plugins-vst zynaddsubfx-vst lsp-plugins-vst gcc libc6-dev"
  pkgs="$pkgs libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils"
  # The studio under a virtual X server, the web player in a real browser, and an independent
  # loudness meter (ffmpeg's ebur128) for exported packages.
  pkgs="$pkgs xvfb xauth fonts-dejavu-core libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libgl1"
  # what Qt's xcb platform plugin links (Xvfb or a desktop; offscreen needs none of these)
  pkgs="$pkgs libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1"
  pkgs="$pkgs libxkbcommon-x11-0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0"
  pkgs="$pkgs chromium ffmpeg"
  # libopus encodes the web (Ogg/Opus) stems of `export --web`
  pkgs="$pkgs libopus0"
  missing=""
  for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    echo "setup: installing Debian packages:$missing" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  # System site-packages are visible, so what the machine already has is not downloaded again.
  if ! "$PY" -m venv --system-site-packages .venv 2>/dev/null; then
    # Debian's own Python keeps venv (with ensurepip) in a separate package.
    rm -rf .venv
    echo "setup: installing Debian's python3-venv" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    "$PY" -m venv --system-site-packages .venv
  fi
fi
extras="[app]"
[ "$want_test" = 1 ] && extras="[app,test]"
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}" 2>&1 | grep -v "^WARNING: Running pip as" >&2 || true
.venv/bin/python -c "import composer_assist, dawdreamer" || { echo "setup: installation failed" >&2; exit 1; }
