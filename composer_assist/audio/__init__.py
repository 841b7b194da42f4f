"""Composer Assist: audio."""
