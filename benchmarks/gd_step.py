"""Rows 1 and 6: the Sobolev GD step against its own matrix products, and its scaling in m.

One step is :func:`proofkit.network.loss_and_gradient` (residuals (6), loss, gradient of
(5)).  Its only O(mnd) work is three matrix products, ``Z = W xᵀ``, ``G = Wᵀ(a ⊙ P)`` and
``P U``; everything else is O(mn) or O(nd(k+1)).  Row 1 times those three products alone,
on the same inputs and in the same run, so the ratio says how close the step is to what
the machine's BLAS allows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from ._common import check_close, interleaved, rel_err, row, skipped

__all__ = ["bench_matmul_ratio", "bench_scaling", "gd_inputs", "memory_probe"]


def gd_inputs(m: int, d: int, n: int, k: int, *, seed: int = 0):
    """A seeded problem and network of the requested sizes: ``(problem, W, a)``."""
    from proofkit.network import init_network
    from proofkit.problem import random_problem

    problem = random_problem(n, d, k, seed=seed)
    W, a = init_network(m, d, seed=seed + 1)
    return problem, W, a


def _products(problem, W, a):
    """The three matrix products of one step, and the gradient they assemble."""
    x, _, V, _ = problem.host()
    _, e, S, grad = _step(problem, W, a)
    P = (W @ x.T > 0).astype(W.dtype)
    aP = a[:, None] * P
    U = e[:, None] * x + np.einsum("ndk,nk->nd", V, S)

    from proofkit.network import _BLOCK

    m = W.shape[0]

    def run():
        # the same products, in the same row blocks, as the step itself performs
        for s in range(0, m, _BLOCK):
            W[s:s + _BLOCK] @ x.T
            W[s:s + _BLOCK].T @ aP[s:s + _BLOCK]
        return aP @ U

    # ∂L/∂W = −a ⊙ (P U): the gradient assembled from the products, for the check
    return run, -(a[:, None] * (P @ U)), grad


def _step(problem, W, a):
    from proofkit.network import loss_and_gradient

    return loss_and_gradient(problem, W, a)


def bench_matmul_ratio(m: int, d: int, n: int, k: int, *, repeat: int) -> dict:
    """Row 1: time(one GD step) / time(its three matrix products), target ≤ 1.5."""
    name = "GD step / its matrix products"
    problem, W, a = gd_inputs(m, d, n, k)
    products, grad_from_products, grad = _products(problem, W, a)
    err = rel_err(grad_from_products, grad)
    check_close("gradient from the three products vs loss_and_gradient", err, 1e-10)
    t = interleaved({"step": lambda: _step(problem, W, a), "products": products}, repeat)
    return row(
        name, t["step"] / t["products"], "x", "<= 1.5",
        detail={"m": m, "d": d, "n": n, "k": k, "dtype": "float64", "repeat": repeat,
                "step_s": t["step"], "products_s": t["products"],
                "products": ["W_b @ x.T and W_b.T @ (aP)_b per block of rows", "aP @ U"],
                "grad_rel_err": err},
    )


def bench_scaling(widths, d: int, n: int, k: int, *, repeat: int,
                  memory_m: int | None) -> list[dict]:
    """Row 6: step time for each m in ``widths``, the fitted log–log exponent, peak memory.

    The exponent is the slope of ``log t`` against ``log m`` by least squares over all
    widths; the engine is O(mnd), so it should not exceed 1 (small m are overhead-bound
    and pull it below 1).  Peak memory is measured in a fresh subprocess (see
    :func:`memory_probe`) at ``memory_m``; ``None`` skips it.
    """
    times = {}
    for m in widths:
        problem, W, a = gd_inputs(int(m), d, n, k)
        times[int(m)] = interleaved({"step": lambda p=problem, W=W, a=a: _step(p, W, a)},
                                    repeat)["step"]
    ms = np.array(sorted(times), dtype=float)
    ts = np.array([times[int(m)] for m in ms])
    slope = float(np.polyfit(np.log(ms), np.log(ts), 1)[0]) if len(ms) > 1 else float("nan")
    rows = [row("GD step scaling exponent in m", slope, "log-log slope", "<= 1.1",
                detail={"d": d, "n": n, "k": k, "repeat": repeat,
                        "step_s": {str(int(m)): times[int(m)] for m in ms}})]
    target = "<= 2"
    mem_name = f"GD step peak memory at m={memory_m}"
    if memory_m is None:
        rows.append(skipped("GD step peak memory", "GB", target,
                            "memory probe not run at these sizes"))
        return rows
    try:
        probe = memory_probe(memory_m, d, n, k)
    except (subprocess.SubprocessError, OSError, ValueError) as exc:
        rows.append(skipped(mem_name, "GB", target, f"memory probe failed: {exc}"))
        return rows
    rows.append(row(
        mem_name, probe["maxrss_bytes"] / 1e9, "GB", target,
        detail={**probe, "method": "resource.getrusage(RUSAGE_SELF).ru_maxrss of a fresh "
                "subprocess that builds the problem and W (m×d) and runs one step; "
                "tracemalloc_* are the NumPy allocations traced by tracemalloc"}))
    return rows


def memory_probe(m: int, d: int, n: int, k: int, *, timeout: float = 300.0) -> dict:
    """Run :func:`_probe_main` in a fresh Python process and return its JSON."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.gd_step", str(m), str(d), str(n), str(k)],
        capture_output=True, text=True, timeout=timeout, cwd=root, env=env, check=False)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ValueError(f"exit code {out.returncode}: {tail[0]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _probe_main(argv: list[str]) -> dict:
    import resource
    import time
    import tracemalloc

    m, d, n, k = (int(v) for v in argv)
    rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # noqa: E731
    base = rss()
    problem, W, a = gd_inputs(m, d, n, k)
    with_inputs = rss()
    t0 = time.perf_counter()
    _step(problem, W, a)
    t_cold = time.perf_counter() - t0  # first touch of every temporary: page faults
    t0 = time.perf_counter()
    _step(problem, W, a)
    t_warm = time.perf_counter() - t0
    after = rss()
    tracemalloc.start()
    _step(problem, W, a)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"m": m, "d": d, "n": n, "k": k, "maxrss_bytes": after,
            "maxrss_after_imports_bytes": base, "maxrss_with_inputs_bytes": with_inputs,
            "inputs_bytes": int(W.nbytes + a.nbytes),
            "tracemalloc_step_peak_bytes": traced_peak, "first_step_s": t_cold,
            "second_step_s": t_warm}


if __name__ == "__main__":
    print(json.dumps(_probe_main(sys.argv[1:])))
