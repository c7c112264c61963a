"""Row 3: ``empirical_kernel`` (O(n²m + N²d)) against the naive Jacobian route ``J Jᵀ``.

The naive route builds the (N × md) Jacobian of the network outputs
``(f(x_i), V_iᵀ∇ₓf(x_i))`` in W explicitly, once (not timed), and times ``J @ J.T``,
O(N²md).  :func:`proofkit.kernels.naive_empirical_kernel` (a Python loop over neurons
of Ω_rᵀΩ_r, Section 3) is timed too and reported in ``detail``.
"""

from __future__ import annotations

import numpy as np

from ._common import check_close, interleaved, rel_err, row
from .gd_step import gd_inputs

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


def bench_kernel(m: int, d: int, n: int, k: int, *, repeat: int,
                 naive_repeat: int = 1) -> dict:
    """Row 3: time of the Jacobian route (form J, then J Jᵀ) / time(empirical_kernel), target ≥ 100.

    The product J Jᵀ alone, on a J formed beforehand, is reported in ``detail`` too
    (``speedup_over_JJt_product_alone``), as is the O(N²md) ``naive_empirical_kernel``.
    Equality of the three routes is checked before anything is timed.
    """
    from proofkit.kernels import empirical_kernel, naive_empirical_kernel

    problem, W, a = gd_inputs(m, d, n, k)
    J = jacobian(problem, W, a)
    H = empirical_kernel(problem, W, a)
    H_naive = naive_empirical_kernel(problem, W, a)
    errs = {"JJt": rel_err(J @ J.T, H), "naive_empirical_kernel": rel_err(H_naive, H)}
    for label, err in errs.items():
        check_close(f"empirical_kernel vs {label}", err, 1e-10)
    def jacobian_route():
        Jr = jacobian(problem, W, a)
        return Jr @ Jr.T

    t = interleaved({"empirical_kernel": lambda: empirical_kernel(problem, W, a),
                     "JJt": lambda: J @ J.T, "jacobian_route": jacobian_route}, repeat)
    t["naive_empirical_kernel"] = interleaved(
        {"_": lambda: naive_empirical_kernel(problem, W, a)}, naive_repeat)["_"]
    return row("empirical_kernel speed-up over the Jacobian route (J, then J Jᵀ)",
               t["jacobian_route"] / t["empirical_kernel"], "x", ">= 100",
               detail={"m": m, "d": d, "n": n, "k": k, "N": problem.N, "repeat": repeat,
                       "times_s": t, "jacobian_shape": list(J.shape),
                       "speedup_over_JJt_product_alone": t["JJt"] / t["empirical_kernel"],
                       "speedup_over_naive_empirical_kernel":
                           t["naive_empirical_kernel"] / t["empirical_kernel"],
                       "rel_err": errs})
