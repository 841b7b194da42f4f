"""Composer Assist: an adaptive-score studio built on DawDreamer."""

__version__ = "0.1.0"
