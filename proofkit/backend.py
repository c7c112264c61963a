"""Array namespaces, default dtype and tolerances, bound once at the edge.

Engine functions call :func:`namespace` on their array arguments and work in
the namespace that comes back (NumPy by default, CuPy when given CuPy arrays,
``array_api_strict`` in the tests).  CuPy is never imported here unless the
user asks for it with :func:`get_namespace` ``("cupy")``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from .errors import ArgumentError, NamespaceError

__all__ = [
    "cupy_available",
    "default_dtype",
    "get_namespace",
    "namespace",
    "to_numpy",
    "tolerance",
]


def namespace(*arrays: Any):
    """Return the array-API namespace shared by ``arrays``.

    >>> import numpy as np
    >>> namespace(np.zeros(2)).__name__
    'array_api_compat.numpy'
    """
    from array_api_compat import array_namespace

    try:
        return array_namespace(*[a for a in arrays if a is not None])
    except TypeError as exc:
        raise NamespaceError(f"arrays: {exc}; each must be an array of a supported namespace "
                            "(NumPy, CuPy, array_api_strict)") from None


def get_namespace(name: str = "numpy"):
    """Namespace by name: ``"numpy"`` or ``"cupy"`` (imported only here)."""
    if name == "numpy":
        import array_api_compat.numpy as xp

        return xp
    if name == "cupy":
        if not cupy_available():
            raise ArgumentError("backend 'cupy' was asked for but CuPy is not installed "
                                "(pip install 'proofkit[gpu]')")
        import array_api_compat.cupy as xp

        return xp
    raise ArgumentError(f"name: backend must be 'numpy' or 'cupy', got {name!r}")


def cupy_available() -> bool:
    """True when CuPy is importable, checked without importing it."""
    return importlib.util.find_spec("cupy") is not None


def default_dtype(xp=None):
    """The one place that decides the default float dtype: float64."""
    if xp is None:
        return np.float64
    return xp.float64


def tolerance(dtype=np.float64, factor: float = 1.0, *, power: float = 1.0) -> float:
    """``factor * eps(dtype) ** power``: every tolerance derives from here.

    >>> tolerance(factor=1.0, power=0.5) < 1.5e-8
    True
    """
    name = getattr(dtype, "name", None) or str(dtype)
    name = name.split(".")[-1].strip("'>")
    try:
        eps = float(np.finfo(np.dtype(name)).eps)
    except (TypeError, ValueError):
        raise ArgumentError(f"dtype = {dtype!r}; it must be a real floating dtype such as "
                            "float64 or float32") from None
    for label, v in (("factor", factor), ("power", power)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not np.isfinite(v) or v <= 0:
            raise ArgumentError(f"{label} = {v!r}; it must be a finite number > 0")
    return float(factor) * eps ** power


def to_numpy(a: Any) -> np.ndarray:
    """Copy an array of any supported namespace to a NumPy array (float64 kept)."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "get"):  # CuPy: explicit device-to-host copy
        return a.get()
    try:
        return np.from_dlpack(a)
    except (TypeError, RuntimeError, AttributeError, BufferError):
        return np.asarray(a)
