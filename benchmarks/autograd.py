"""Row 2: proofkit's closed-form step against PyTorch autograd, float64, same threads.

The loss is the directional Sobolev loss ``½‖y − f‖² + ½Σ_i‖h_i − V_iᵀ∇ₓf(x_i)‖²`` of
Section 2, written the two ways people write Sobolev training today:

* double backprop: ``∇ₓf`` by ``torch.autograd.grad(..., create_graph=True)``, then
  ``torch.autograd.grad(loss, W)`` back through it;
* ``torch.func``: ``vmap(grad(f, argnums=1))`` for ``∇ₓf`` inside a loss that
  ``torch.func.grad`` differentiates in ``W``.

torch is only in the ``[bench]`` extra; without it the row is skipped with its reason.
"""

from __future__ import annotations

import importlib.util

from ._common import check_close, interleaved, rel_err, row, skipped
from .gd_step import _step, gd_inputs
from .machine import blas_threads

__all__ = ["bench_autograd", "torch_routes"]

NAME = "GD step speed-up over torch autograd"
TARGET = ">= 5"


def torch_routes(problem, W, a):
    """``{"double_backprop": fn, "torch.func": fn}``, each ``() -> (loss, ∂L/∂W)`` in float64."""
    import torch
    from torch.func import grad, vmap

    x_np, y_np, V_np, h_np = problem.host()
    f64 = torch.float64
    Wt = torch.as_tensor(W, dtype=f64)
    at, x, y, V, h = (torch.as_tensor(v, dtype=f64) for v in (a, x_np, y_np, V_np, h_np))

    def double_backprop():
        Wg = Wt.detach().requires_grad_(True)
        xg = x.detach().requires_grad_(True)
        f = torch.relu(xg @ Wg.T) @ at  # (n,); f_i depends on x_i only
        (gx,) = torch.autograd.grad(f.sum(), xg, create_graph=True)  # (n, d)
        dirs = torch.einsum("nd,ndk->nk", gx, V)
        loss = 0.5 * ((y - f) ** 2).sum() + 0.5 * ((h - dirs) ** 2).sum()
        (gW,) = torch.autograd.grad(loss, Wg)
        return loss.detach(), gW

    def f_one(Wp, xi):
        return torch.relu(Wp @ xi) @ at

    grad_x = vmap(grad(f_one, argnums=1), in_dims=(None, 0))
    f_all = vmap(f_one, in_dims=(None, 0))

    def loss_fn(Wp):
        dirs = torch.einsum("nd,ndk->nk", grad_x(Wp, x), V)
        loss = 0.5 * ((y - f_all(Wp, x)) ** 2).sum() + 0.5 * ((h - dirs) ** 2).sum()
        return loss, loss.detach()

    value_and_grad = grad(loss_fn, has_aux=True)

    def func_route():
        gW, loss = value_and_grad(Wt)
        return loss, gW

    return {"double_backprop": double_backprop, "torch.func": func_route}


def bench_autograd(m: int, d: int, n: int, k: int, *, repeat: int) -> dict:
    """Row 2: min(torch times) / proofkit time, after checking the gradients to 1e-10."""
    if importlib.util.find_spec("torch") is None:
        return skipped(NAME, "x", TARGET,
                       "torch is not installed (pip install 'proofkit[bench]')")
    import torch

    threads, source = blas_threads()
    old_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        problem, W, a = gd_inputs(m, d, n, k)
        loss, _, _, grad = _step(problem, W, a)
        routes = torch_routes(problem, W, a)
        errs = {}
        for label, fn in routes.items():
            t_loss, t_grad = fn()
            errs[label] = rel_err(t_grad.numpy(), grad)
            check_close(f"∂L/∂W of proofkit vs torch {label}", errs[label], 1e-10)
            check_close(f"loss of proofkit vs torch {label}",
                        rel_err(float(t_loss), float(loss)), 1e-10)
        fns = {"proofkit": lambda: _step(problem, W, a), **routes}
        t = interleaved(fns, repeat)
    finally:
        torch.set_num_threads(old_threads)
    fastest = min(routes, key=t.__getitem__)
    return row(NAME, t[fastest] / t["proofkit"], "x", TARGET,
               detail={"m": m, "d": d, "n": n, "k": k, "dtype": "float64", "repeat": repeat,
                       "times_s": t, "fastest_torch": fastest, "grad_rel_err": errs,
                       "threads": threads, "threads_source": source,
                       "torch": torch.__version__})
