"""Composer Assist: adaptive."""
