"""Row 3: ``empirical_kernel`` (O(n²m + N²d)) against the autodiff route ``J Jᵀ``.

The baseline is what an autodiff user writes: the (N × md) Jacobian of the network outputs
``(f(x_i), V_iᵀ∇ₓf(x_i))`` in W by ``torch.func.jacrev`` (∇ₓf itself by
``torch.func.grad``), then ``J @ J.T`` (float64, same threads), both timed.  The
closed-form NumPy Jacobian below is the check (and the route's cost without autodiff, in
``detail``); :func:`proofkit.kernels.naive_empirical_kernel` is timed once, in ``detail``.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ._common import check_close, clock_for, rel_err, row, samples, skipped
from .gd_step import gd_inputs
from .machine import blas_threads

__all__ = ["bench_kernel", "jacobian"]


def jacobian(problem, W, a) -> np.ndarray:
    """The (N × md) Jacobian, rows in the paper's order (n values, then n blocks of k).

    Row of ``f(x_i)``: ``∂/∂w_r = a_r σ'(w_rᵀx_i) x_i``; row of ``V_iᵀ∇f(x_i)`` column l:
    ``a_r σ'(w_rᵀx_i) V_i[:, l]`` (σ'' = 0), so ``H(W) = J Jᵀ``.
    """
    x, _, V, _ = problem.host()
    n, d, k = problem.n, problem.d, problem.k
    m = W.shape[0]
    frames = np.concatenate([x, np.transpose(V, (0, 2, 1)).reshape(n * k, d)])  # (N, d)
    owner = np.concatenate([np.arange(n), np.repeat(np.arange(n), k)])  # point of each row
    aP = a[:, None] * (W @ x.T > 0)  # (m, n)
    J = aP.T[owner][:, :, None] * frames[:, None, :]  # (N, m, d)
    return J.reshape(problem.N, m * d)


NAME = "empirical_kernel speed-up over torch.func.jacrev then J Jᵀ"
TARGET = ">= 100"


def bench_kernel(m: int, d: int, n: int, k: int, *, repeat: int,
                 naive_repeat: int = 1) -> dict:
    """Row 3: time(jacrev, then J Jᵀ) / time(empirical_kernel), median of interleaved rounds.

    Equality of the routes (torch J Jᵀ, NumPy J Jᵀ, naive loop) with ``empirical_kernel`` is
    checked to 1e-10 before anything is timed.
    """
    from proofkit.kernels import empirical_kernel, naive_empirical_kernel

    from ._common import ratio_stats

    if importlib.util.find_spec("torch") is None:
        return skipped(NAME, "x", TARGET, "torch is not installed (pip install 'proofkit[bench]')")
    import torch
    from torch.func import jacrev

    from .autograd import torch_outputs

    problem, W, a = gd_inputs(m, d, n, k)
    threads, source = blas_threads()
    clock, clock_name = clock_for(threads)
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    Wt = torch.as_tensor(W, dtype=torch.float64)
    outputs = torch_outputs(problem, a)
    jac = jacrev(outputs)

    def torch_route():
        J = jac(Wt).reshape(problem.N, -1)
        return J @ J.T

    def numpy_route():
        J = jacobian(problem, W, a)
        return J @ J.T

    try:
        H = empirical_kernel(problem, W, a)
        errs = {"torch.func.jacrev JJt": rel_err(torch_route().numpy(), H),
                "numpy closed-form JJt": rel_err(numpy_route(), H),
                "naive_empirical_kernel": rel_err(naive_empirical_kernel(problem, W, a), H)}
        for label, err in errs.items():
            check_close(f"empirical_kernel vs {label}", err, 1e-10)
        t = samples({"empirical_kernel": lambda: empirical_kernel(problem, W, a),
                     "torch_jacrev_JJt": torch_route, "numpy_J_JJt": numpy_route}, repeat,
                    clock)
    finally:
        torch.set_num_threads(old)
    t["naive_empirical_kernel"] = samples(
        {"_": lambda: naive_empirical_kernel(problem, W, a)}, naive_repeat, clock)["_"]
    sp = ratio_stats(t["torch_jacrev_JJt"], t["empirical_kernel"])
    med = {key: float(np.median(v)) for key, v in t.items()}
    return row(NAME, sp["median"], "x", TARGET, spread=[sp["min"], sp["max"]],
               detail={"m": m, "d": d, "n": n, "k": k, "N": problem.N, "repeat": repeat,
                       "median_s": med, "ratio": sp, "threads": threads, "clock": clock_name,
                       "threads_source": source, "torch": torch.__version__,
                       "speedup_over_numpy_closed_form_jacobian":
                           med["numpy_J_JJt"] / med["empirical_kernel"],
                       "speedup_over_naive_empirical_kernel":
                           med["naive_empirical_kernel"] / med["empirical_kernel"],
                       "rel_err": errs})
