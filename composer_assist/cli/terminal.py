"""The ``play`` screen: live status on one terminal screen, and the transport keys.

On a terminal: the screen is redrawn in place ten times a second and keys act at once (cbreak
mode, restored on exit whatever happens).  Piped or redirected: one status line a second and no
keys, so a log stays readable.
"""

from __future__ import annotations

import os
import select
import sys
import time
from typing import Any

from composer_assist.core.timing import beat_text
from composer_assist.playback import commands as C

BAR = "█"
KEYS = "space pause/resume   ←/→ one bar   1-9 a variant's emotion   0 release   q quit"


def _fmt_time(s: float) -> str:
    m, sec = divmod(max(0.0, s), 60.0)
    return f"{int(m):02d}:{sec:04.1f}"


def _bar(x: float, width: int = 12) -> str:
    n = int(round(max(0.0, min(1.0, x)) * width))
    return BAR * n + "·" * (width - n)


class Screen:
    """``with Screen(player, queue, trace, args, osc) as s: s.poll(0.1) ...``"""

    def __init__(self, player, queue, trace, args, osc) -> None:
        self.player, self.queue, self.trace, self.args, self.osc = player, queue, trace, args, osc
        self.tty = sys.stdin.isatty() and sys.stdout.isatty()
        self.quit = False
        self._saved: Any = None
        self._last_line = 0.0
        self._variants = [v for v in player.cue.variants][:9]

    def __enter__(self) -> "Screen":
        if self.tty:
            import termios
            import tty

            fd = sys.stdin.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
            sys.stdout.write("\x1b[?25l\x1b[2J")  # hide the cursor, clear
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)
            sys.stdout.write("\x1b[?25h\n")
            sys.stdout.flush()

    # ---- loop ----------------------------------------------------------------------------------
    def poll(self, timeout: float) -> None:
        if self.tty:
            ready, _, _ = select.select([sys.stdin], [], [], timeout)
            if ready:
                self._key(os.read(sys.stdin.fileno(), 16).decode(errors="ignore"))
            self._draw()
        else:
            time.sleep(timeout)
            now = time.monotonic()
            if now - self._last_line >= 1.0:
                self._last_line = now
                print(self.line(), flush=True)

    def _key(self, text: str) -> None:
        st = self.player.status
        if text == " ":
            self.queue.post(C.play() if st.state != "playing" else C.pause())
        elif text in ("q", "Q"):
            self.quit = True
        elif text == "0":
            self.queue.post(C.release())
        elif text.isdigit() and 1 <= int(text) <= len(self._variants):
            v = self._variants[int(text) - 1]
            self.queue.post(C.emotion(v.valence, v.arousal))
        elif text in ("\x1b[C", "\x1b[D"):  # right, left: a bar on along the timeline, as the studio's
            self.queue.post(self.player.bar_jump(1 if text == "\x1b[C" else -1))

    # ---- drawing -------------------------------------------------------------------------------
    def line(self) -> str:
        """The status in one line (the piped form)."""
        st = self.player.status
        nxt = f" -> {st.target} at {_fmt_time(st.next_switch)}" if st.target else ""
        emo = "" if st.valence is None else f" V {st.valence:+.2f} A {st.arousal:+.2f}"
        out = st.output
        dev = "" if out is None else f" underruns {out.underruns} latency {out.latency * 1000:.0f} ms"
        return (f"{_fmt_time(st.seconds)} bar {st.bar} beat {beat_text(st.beat, 2)} {st.state} {st.variant}{nxt}"
                f"{emo} I {st.intensity:.2f}{' override' if st.override else ''}{dev}")

    def _draw(self) -> None:
        st, cue = self.player.status, self.player.cue
        rows = [f"Composer Assist ▸ {cue.name}  ({self.player.mode} mode, block {self.player.block})",
                f"time {_fmt_time(st.seconds)}   bar {st.bar:>3} beat {beat_text(st.beat, 2):>5}   {st.state}",
                self._emotion_row(st), self._variant_row(st), ""]
        rows += [f"  {name:<12} {_bar(g)} {g:4.2f}" for name, g in st.layer_gains.items()]
        rows.append("")
        for name, db in st.meters_db.items():
            mark = "▶" if name == st.variant else " "
            rows.append(f"{mark} {name:<12} {_bar((db + 60.0) / 60.0)} {db:6.1f} dB")
        rows += ["", self._output_row(st), "", KEYS,
                 "   ".join(f"{i + 1} {v.name}" for i, v in enumerate(self._variants))]
        sys.stdout.write("\x1b[H" + "\n".join(r + "\x1b[K" for r in rows) + "\x1b[J")
        sys.stdout.flush()

    def _emotion_row(self, st) -> str:
        if st.valence is None:
            return "emotion  (planned from the whole trace)"
        src = "override" if st.override else ("trace " + (self.trace.name or "") if self.trace is not None else "live")
        return f"emotion  V {st.valence:+.2f}  A {st.arousal:+.2f}  I {st.intensity:.2f}   [{src}]"

    def _variant_row(self, st) -> str:
        nxt = f"  →  {st.target} at {_fmt_time(st.next_switch)}" if st.target else ""
        prof = f"   listener {st.profile}" if st.profile else ""
        return f"variant  {st.variant}{nxt}{prof}"

    def _output_row(self, st) -> str:
        out = st.output
        osc = ""
        if self.osc is not None and getattr(self.osc, "stats", None) is not None:
            osc = f"   OSC {self.osc.stats.received} messages, {self.osc.stats.bad} bad"
        if out is None:
            return "output   starting" + osc
        p99 = "" if out.render_p99_us is None else f"   mix p99 {out.render_p99_us:.0f} µs"
        return (f"output   {out.backend} {out.device or ''}   underruns {out.underruns}   "
                f"latency {out.latency * 1000:.0f} ms{p99}{osc}")

    def final(self) -> None:
        """The last status, for a log (a terminal keeps the last screen)."""
        if not self.tty:
            print(self.line(), flush=True)
