"""The Sobolev loss and gradient in PyTorch, the baselines of rows 2 and 3.

The loss is the directional Sobolev loss ``½‖y − f‖² + ½Σ_i‖h_i − V_iᵀ∇ₓf(x_i)‖²`` of
Section 2, written the two ways people write Sobolev training today:

* double backprop: ``∇ₓf`` by ``torch.autograd.grad(..., create_graph=True)``, then
  ``torch.autograd.grad(loss, W)`` back through it;
* ``torch.func``: ``vmap(grad(f, argnums=1))`` for ``∇ₓf`` inside a loss that
  ``torch.func.grad`` differentiates in ``W``.

torch is only in the ``[bench]`` extra; without it the rows are skipped with their reason.
Row 2 itself lives in :mod:`benchmarks.gd_step` (it times the same run_flow as row 1).
"""

from __future__ import annotations

__all__ = ["torch_outputs", "torch_routes"]


def torch_outputs(problem, a):
    """``F(W)``: the N network outputs ``(f(x_i), V_iᵀ∇ₓf(x_i))`` in the paper's order, as a
    torch.func-traceable function of the (m, d) tensor W (∇ₓf by ``torch.func.grad``)."""
    import torch
    from torch.func import grad, vmap

    x_np, _, V_np, _ = problem.host()
    f64 = torch.float64
    at, x, V = (torch.as_tensor(v, dtype=f64) for v in (a, x_np, V_np))

    def f_one(Wp, xi):
        return torch.relu(Wp @ xi) @ at

    grad_x = vmap(grad(f_one, argnums=1), in_dims=(None, 0))
    f_all = vmap(f_one, in_dims=(None, 0))

    def outputs(Wp):
        dirs = torch.einsum("nd,ndk->nk", grad_x(Wp, x), V)
        return torch.cat([f_all(Wp, x), dirs.reshape(-1)])

    return outputs


def torch_routes(problem, W, a, *, W_tensor=None):
    """``{"double_backprop": fn, "torch.func": fn}``, each ``() -> (loss, ∂L/∂W)`` in float64.

    ``W_tensor`` (a float64 tensor) is read at every call, so an in-place update of it is
    seen by the next call; by default a tensor view of ``W``.
    """
    import torch
    from torch.func import grad, vmap

    x_np, y_np, V_np, h_np = problem.host()
    f64 = torch.float64
    Wt = torch.as_tensor(W, dtype=f64) if W_tensor is None else W_tensor
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
