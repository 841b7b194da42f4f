"""Composer Assist: learn."""
