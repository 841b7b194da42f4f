"""Cue packages for delivery: the manifest (``manifest``), export (``export``), checking a package
folder or zip (``check``).  The reference runtime that plays a package is ``composer_assist.runtime``."""
