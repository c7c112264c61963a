"""Description of the machine a benchmark ran on (no hard dependencies)."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import importlib.util
import os
import platform
import sys

__all__ = ["blas_threads", "describe"]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _blas() -> dict:
    import numpy as np

    info: dict = {}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info = {"name": blas.get("name"), "version": blas.get("version")}
    except (TypeError, AttributeError):  # NumPy < 1.25 has no mode="dicts"
        info = {"name": "unknown"}
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for p in threadpool_info()
        ]
    return info


def blas_threads() -> tuple[int, str]:
    """``(threads, source)``: how many threads NumPy's BLAS uses, and how that was found.

    threadpoolctl is asked when it is installed; otherwise the usual environment variables,
    otherwise the usable cores (OpenBLAS's and MKL's default).
    """
    if importlib.util.find_spec("threadpoolctl") is not None:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        # NumPy's own BLAS first (SciPy and torch may load others)
        pools.sort(key=lambda p: "numpy" not in str(p.get("filepath", "")))
        if pools:
            return int(pools[0]["num_threads"]), "threadpoolctl (NumPy's BLAS)"
    for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value), f"${var}"
    return _usable_cores(), "usable cores (BLAS default; threadpoolctl not installed)"


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def describe() -> dict:
    """CPU model, cores, Python, NumPy and BLAS, optional torch/flint versions, UTC date."""
    import numpy as np

    threads, source = blas_threads()
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": _usable_cores(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "blas": _blas(),
        "blas_threads": threads,
        "blas_threads_source": source,
        "scipy": _version("scipy"),
        "torch": _version("torch"),
        "python_flint": _version("python-flint"),
        "proofkit": _version("proofkit"),
        "load_average": _load(),
    }


def _load() -> list[float] | None:
    """1, 5 and 15 minute load averages: above the usable cores, times are inflated and
    multithreaded BLAS calls (large GEMMs) suffer far more than small kernels."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None
