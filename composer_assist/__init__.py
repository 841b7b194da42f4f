"""Composer Assist: an adaptive-score studio built on DawDreamer.

The front door for scripts::

    import composer_assist as ca

    project = ca.load_project("projects/demo")
    render = ca.render_cue(project, "night_chase")                 # stems, cached
    trace = ca.load_trace("projects/traces/thriller_buildup.csv")
    result = ca.adapt(project, "night_chase", trace, mode="planned")
    ca.write_outputs(result, "out/chase")                          # adaptive.wav, decisions.json, .png
    model = ca.ListenerPreferenceModel().fit(ca.load_feedback_log("projects/demo/listeners/feedback.csv"))

Names are imported on first use, so ``import composer_assist`` stays light (no DawDreamer, no
scikit-learn until they are needed).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    "load_project": "composer_assist.core.project",
    "save_project": "composer_assist.core.project",
    "check_plugins": "composer_assist.core.project",
    "Project": "composer_assist.core.project",
    "read_midi": "composer_assist.core.midi",
    "import_midi": "composer_assist.core.project.midi_import",
    "load_trace": "composer_assist.core.trace",
    "save_trace": "composer_assist.core.trace",
    "generate_trace": "composer_assist.core.trace",
    "Trace": "composer_assist.core.trace",
    "render_cue": "composer_assist.audio.render",
    "write_cue": "composer_assist.audio.render",
    "adapt": "composer_assist.services.adapt",
    "write_outputs": "composer_assist.services.adapt",
    "run_adaptive": "composer_assist.adaptive.engine",
    "load_feedback_log": "composer_assist.learn.feedback_log",
    "ListenerPreferenceModel": "composer_assist.learn.model",
    "ComposerAssistError": "composer_assist.core.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'composer_assist' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
