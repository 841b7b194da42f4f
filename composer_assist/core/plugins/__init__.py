"""Plugins as files: where they live, how a reference resolves, the Faust metadata beside a .dsp."""
