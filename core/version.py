"""Which code made a run: SciGen Studio's version plus the git commit of a checkout."""

from __future__ import annotations

import functools
import subprocess

import core
from core.workspace import PROJECT_ROOT


@functools.cache
def code_version() -> str:
    """SciGen Studio's version plus the git commit when the code runs from a checkout."""
    version = core.__version__
    try:
        commit = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{version}+g{commit}" if commit else version
