"""What a run records about itself: versions, BLAS, platform, git revision.

Every audit, counterexample file and report carries :func:`environment` so that a number
can be traced to the software that produced it.
"""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

__all__ = ["PACKAGES", "blas_info", "environment", "git_revision", "utc_timestamp",
           "versions"]

PACKAGES = ("proofkit", "numpy", "scipy", "sympy", "mpmath", "hypothesis", "python-flint",
            "matplotlib", "array-api-compat")


def versions() -> dict:
    """Python and package versions (``None`` for a package that is not installed)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    if out.get("proofkit") is None:
        from .. import __version__

        out["proofkit"] = __version__
    return out


@functools.cache
def blas_info() -> str:
    """The BLAS NumPy was built against, e.g. ``'scipy-openblas 0.3.27'``."""
    import numpy as np

    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy or an unusual build: say so rather than guess
        return "unknown"


@functools.cache
def git_revision() -> str | None:
    """``git rev-parse HEAD`` of the proofkit source tree (``+dirty`` when modified), or ``None``.

    The tree is the one this module was imported from, or (after a non-editable
    ``pip install .``) the working directory when it is a proofkit checkout.
    """
    here = Path(__file__).resolve().parents[2]
    for root in (here, Path.cwd()):
        if (root / ".git").exists() and (root / "proofkit" / "__init__.py").is_file():
            break
    else:
        return None
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("+dirty" if dirty else "") if rev else None


def environment() -> dict:
    """Everything :mod:`proofkit.report` prints in its reproducibility block."""
    return {"versions": versions(), "blas": blas_info(), "platform": platform.platform(),
            "machine": platform.machine(), "implementation": sys.implementation.name,
            "git_revision": git_revision()}


def utc_timestamp() -> str:
    """The time now in UTC as ISO 8601 to the second, e.g. ``2024-05-01T12:00:00Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
