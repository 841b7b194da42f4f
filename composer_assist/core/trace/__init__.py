"""Emotion traces: reading, writing, scales, smoothing, heart rate and the sample generator."""

from .formats import FORMATS, detect_format, load_trace
from .generate import KINDS, generate_trace
from .io import save_trace
from .model import Trace, blend_heart_rate, ema, fill_gaps, heart_rate_to_arousal
from .stats import describe
from .viewing import ViewingContext, in_viewing

__all__ = ["FORMATS", "KINDS", "Trace", "ViewingContext", "blend_heart_rate", "describe", "detect_format", "ema",
           "fill_gaps", "generate_trace", "heart_rate_to_arousal", "in_viewing", "load_trace", "save_trace"]
