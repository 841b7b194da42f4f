"""Worker process main loop: read one JSON job per line on stdin, answer one JSON line.

Run as ``python -m composer_assist.audio.worker``.  Plugins print freely to stdout, so the
answers go to a private duplicate of the original stdout and fd 1 is pointed at stderr.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when its parent dies (it runs in a session of its own,
    so nothing else would stop a worker stuck in a hung plugin)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def main() -> int:
    _die_with_parent()
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    from composer_assist.audio.host import JOBS  # after the redirect: imports may print
    from composer_assist.core.errors import ComposerAssistError

    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        try:
            result = JOBS[job["op"]](job)
            answer = {"id": job["id"], "ok": True, "result": result}
        except ComposerAssistError as exc:
            answer = {"id": job["id"], "ok": False, "error": str(exc), "type": type(exc).__name__}
        except Exception as exc:  # a plugin's own exception: report it, keep serving
            last = " ".join(traceback.format_exception_only(type(exc), exc)[-1].split())
            answer = {"id": job["id"], "ok": False, "error": last, "type": "PluginError"}
        sys.stderr.flush()
        proto.write(json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
