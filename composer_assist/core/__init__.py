"""Composer Assist: core."""
