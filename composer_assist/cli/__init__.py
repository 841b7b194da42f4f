"""Composer Assist: cli."""
