"""Composer Assist: app."""
