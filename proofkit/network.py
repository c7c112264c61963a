"""The two-layer ReLU network (4), its Sobolev loss, residuals (6) and gradient (5).

Conventions: ``W`` is (m, d) with rows ``w_r``; ``a`` is (m,); σ'(z) = 1{z > 0} and
σ'' = 0, as in the paper.  Every function works in the namespace of its inputs and
costs O(mnd) with no (m × n × d) temporary: the three products ``W xᵀ``,
``Wᵀ (a ⊙ P)`` and ``P U`` carry all the work.

The biased network (10) is implemented directly (not through lifting) so that the two
routes can be compared in tests.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import arguments
from .backend import namespace
from .problem import SobolevProblem, default_alpha

__all__ = [
    "BiasedNetwork",
    "Network",
    "activation_pattern",
    "biased_directional_derivatives",
    "biased_forward",
    "biased_loss",
    "biased_loss_and_gradient",
    "biased_loss_gradient",
    "biased_residuals",
    "directional_derivatives",
    "forward",
    "init_biased_network",
    "init_network",
    "loss_and_gradient",
    "loss_gradient",
    "residual_vector",
    "residuals",
    "sobolev_loss",
]


class Network(NamedTuple):
    """Weights ``W`` (m, d) and fixed output layer ``a`` (m,) of network (4)."""

    W: object
    a: object


class BiasedNetwork(NamedTuple):
    """Weights ``W`` (m, d), biases ``b`` (m,), output layer ``a`` (m,) of network (10)."""

    W: object
    b: object
    a: object


def _rng(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def init_network(m: int, d: int, *, seed=0, xp=None) -> Network:
    """Initialisation (9): ``w_r ~ N(0, I_d)``, ``a_r ~ unif{±1/√m}``, seeded.

    >>> W, a = init_network(4, 3, seed=0)
    >>> W.shape, sorted(set((a * 2).tolist()))
    ((4, 3), [-1.0, 1.0])
    """
    m = arguments.integer("m", m, minimum=1, what="the width")
    d = arguments.integer("d", d, minimum=1)
    rng = _rng(arguments.seed(seed))
    W = rng.standard_normal((m, d))
    a = rng.choice(np.array([-1.0, 1.0]), size=m) / np.sqrt(m)
    if xp is not None:
        return Network(xp.asarray(W), xp.asarray(a))
    return Network(W, a)


def init_biased_network(m: int, d: int, *, seed=0, xp=None) -> BiasedNetwork:
    """Initialisation of Theorem 2: ``w_r ~ N(0, I_d)``, ``b_r ~ N(0, 1)``, ``a_r ~ unif{±1/√m}``.

    The draws are those of ``init_network(m, d + 1, seed=seed)`` split as ``(W, b)``, so the
    lifted unbiased network starts from the same weights.
    """
    d = arguments.integer("d", d, minimum=1)
    Wl, a = init_network(m, d + 1, seed=seed, xp=xp)
    return BiasedNetwork(Wl[:, :d], Wl[:, d], a)


def activation_pattern(problem: SobolevProblem, W):
    """``P[r, i] = σ'(w_rᵀ x_i) = 1{w_rᵀ x_i > 0}`` as floats, shape (m, n)."""
    W, _ = arguments.network(problem, W, None)
    xp = namespace(W, problem.x)
    return xp.astype(W @ problem.x.T > 0, W.dtype)


def _pre(problem, W, a):
    """Pre-activations Z = W xᵀ and the signed pattern aP[r, i] = a_r σ'(w_rᵀx_i), both (m, n)."""
    xp = namespace(W, a, problem.x)
    Z = W @ problem.x.T
    aP = a[:, None] * xp.astype(Z > 0, W.dtype)
    return xp, Z, aP


def _values(xp, Z, aP):
    # f(x_i) = Σ_r a_r σ(z_ri) = Σ_r a_r σ'(z_ri) z_ri: one pass over (m, n), no relu temporary
    return xp.sum(aP * Z, axis=0)


def _directional(problem, W, aP):
    # ∇_x f(x_i) = Σ_r a_r σ'(w_rᵀx_i) w_r  → G = Wᵀ aP, shape (d, n); then V_iᵀ G_i, (n, k)
    xp = namespace(W, problem.V)
    G = W.T @ aP
    return xp.sum(problem.V * G.T[:, :, None], axis=1)


def forward(problem: SobolevProblem, W, a):
    """Values ``f(W, x_i) = Σ_r a_r σ(w_rᵀ x_i)`` of (4), shape (n,).

    Every function here checks its arguments once (:mod:`proofkit.arguments`): ``W`` is
    (m, d) with ``d = problem.d``, ``a`` is (m,), entries real and finite; otherwise an
    :class:`~proofkit.errors.ArgumentError` names the argument, index and rule.
    """
    W, a = arguments.network(problem, W, a)
    xp, Z, aP = _pre(problem, W, a)
    return _values(xp, Z, aP)


def directional_derivatives(problem: SobolevProblem, W, a):
    """``F̄_i = V_iᵀ ∇_x f(W, x_i)``, shape (n, k)."""
    W, a = arguments.network(problem, W, a)
    _, _, aP = _pre(problem, W, a)
    return _directional(problem, W, aP)


def residuals(problem: SobolevProblem, W, a):
    """Residuals (6): ``e_i = y_i − f(W, x_i)`` (n,), ``S_i = h_i − V_iᵀ∇f(W, x_i)`` (n, k)."""
    W, a = arguments.network(problem, W, a)
    xp, Z, aP = _pre(problem, W, a)
    return problem.y - _values(xp, Z, aP), problem.h - _directional(problem, W, aP)


def residual_vector(e, S):
    """Stack ``(e, S)`` in the paper's ordering: n values, then n blocks of k, shape (n(k+1),)."""
    e = arguments.real_array("e", e, ndim=1, shape="(n,)")
    S = arguments.real_array("S", S, ndim=2, shape="(n, k)")
    if S.shape[0] != e.shape[0]:
        raise arguments.ArgumentError(f"S has shape {tuple(S.shape)}; it must be (n, k) with "
                                      f"n = {e.shape[0]}, the length of e")
    xp = namespace(e, S)
    return xp.concat([e, xp.reshape(S, (-1,))])


def sobolev_loss(problem: SobolevProblem, W, a):
    """The directional Sobolev loss ``L(W) = ½‖e‖² + ½‖S‖²`` (Section 2), a scalar."""
    W, a = arguments.network(problem, W, a)
    xp = namespace(W)
    e, S = residuals(problem, W, a)
    return 0.5 * (xp.sum(e * e) + xp.sum(S * S))


def _grad_from(problem, aP, e, S, x_scale=1.0):
    # ∂L/∂w_r = −a_r Σ_i σ'(w_rᵀx_i) (e_i x_i + V_i S_i)   (σ'' = 0): one (m×n)(n×d) product
    xp = namespace(aP, e, S)
    negU = -(x_scale * e[:, None] * problem.x + xp.sum(problem.V * S[:, None, :], axis=2))  # (n, d)
    return aP @ negU


def loss_gradient(problem: SobolevProblem, W, a):
    """``∂L/∂W`` in closed form, shape (m, d); the gradient flow (5) is ``W' = −∂L/∂W``."""
    W, a = arguments.network(problem, W, a)
    return _loss_and_gradient(problem, W, a)[3]


def loss_and_gradient(problem: SobolevProblem, W, a):
    """``(L, e, S, ∂L/∂W)`` from one pass: the GD hot loop.

    Work: the three (m × n × d) products ``W xᵀ``, ``Wᵀ(aP)`` and ``(aP) U`` plus O(mn)
    elementwise passes; the only (m × d) array written is the gradient itself.
    """
    W, a = arguments.network(problem, W, a)
    return _loss_and_gradient(problem, W, a)


def _loss_and_gradient(problem, W, a):
    """:func:`loss_and_gradient` without the argument checks: the GD and ODE hot loops."""
    if isinstance(W, np.ndarray) and isinstance(problem.x, np.ndarray):
        return _loss_and_gradient_numpy(problem, W, a)
    xp, Z, aP = _pre(problem, W, a)
    e = problem.y - _values(xp, Z, aP)
    S = problem.h - _directional(problem, W, aP)
    loss = 0.5 * (xp.sum(e * e) + xp.sum(S * S))
    return loss, e, S, _grad_from(problem, aP, e, S)


_BLOCK = 8192  # rows of W per block: the (block × n) temporaries stay in cache


def _loss_and_gradient_numpy(problem, W, a, block: int = _BLOCK):
    """NumPy fast path of :func:`loss_and_gradient`, same arithmetic in blocks of rows of W.

    The first pass writes the signed pattern aP (m × n) block by block while accumulating f and
    G = Wᵀ aP, so no (m × n) temporary besides aP itself is made; the second is one product.
    Tested against the namespace-generic path (array_api_strict inputs) to 1e-12.
    """
    x = problem.x
    m, n = W.shape[0], x.shape[0]
    aP = np.empty((m, n), dtype=W.dtype)
    f = np.zeros(n, dtype=W.dtype)
    G = np.zeros((W.shape[1], n), dtype=W.dtype)
    for start in range(0, m, block):
        Wb = W[start:start + block]
        Z = Wb @ x.T
        Pb = aP[start:start + block]
        np.greater(Z, 0, out=Pb)  # σ'(z) as 1.0 / 0.0, written in place
        Pb *= a[start:start + block, None]
        f += np.einsum("mn,mn->n", Pb, Z)
        G += Wb.T @ Pb
    e = problem.y - f
    S = problem.h - np.sum(problem.V * G.T[:, :, None], axis=1)
    loss = 0.5 * (np.sum(e * e) + np.sum(S * S))
    return loss, e, S, _grad_from(problem, aP, e, S)


# ---------------------------------------------------------------------------------------
# the biased network (10), directly
# ---------------------------------------------------------------------------------------
def _alpha_beta(problem, alpha):
    al = default_alpha(problem.k) if alpha is None else arguments.alpha(alpha)
    return al, float(np.sqrt(1.0 - al * al))


def _biased_pre(problem, W, b, a, alpha):
    xp = namespace(W, b, a, problem.x)
    al, be = _alpha_beta(problem, alpha)
    Z = al * (W @ problem.x.T) + be * b[:, None]
    return xp, al, be, Z, a[:, None] * xp.astype(Z > 0, W.dtype)


def biased_forward(problem: SobolevProblem, W, b, a, *, alpha=None):
    """``g(W, b, x_i) = Σ_r a_r σ(α w_rᵀ x_i + β b_r)`` of (10), shape (n,)."""
    W, b, a = arguments.network(problem, W, a, b, bias=True)
    xp, _, _, Z, aP = _biased_pre(problem, W, b, a, alpha)
    return _values(xp, Z, aP)


def biased_directional_derivatives(problem: SobolevProblem, W, b, a, *, alpha=None):
    """``V_iᵀ ∇_x g(W, b, x_i) = α Σ_r a_r σ'(·) V_iᵀ w_r``, shape (n, k) (not divided by α)."""
    W, b, a = arguments.network(problem, W, a, b, bias=True)
    _, al, _, _, aP = _biased_pre(problem, W, b, a, alpha)
    return al * _directional(problem, W, aP)


def _biased_residuals(problem, W, b, a, alpha):
    xp, al, be, Z, aP = _biased_pre(problem, W, b, a, alpha)
    e = problem.y - _values(xp, Z, aP)
    S = (problem.h - al * _directional(problem, W, aP)) / al
    return xp, al, be, aP, e, S


def biased_residuals(problem: SobolevProblem, W, b, a, *, alpha=None):
    """Residuals of Theorem 2: ``e_i = y_i − g(x_i)``, ``S_i = (h_i − V_iᵀ∇g(x_i))/α``."""
    W, b, a = arguments.network(problem, W, a, b, bias=True)
    return _biased_residuals(problem, W, b, a, alpha)[4:]


def biased_loss(problem: SobolevProblem, W, b, a, *, alpha=None):
    """The loss (11): ``½Σ(g − y)² + ½Σ‖(V_iᵀ∇g − h_i)/α‖²``."""
    W, b, a = arguments.network(problem, W, a, b, bias=True)
    xp = namespace(W)
    e, S = biased_residuals(problem, W, b, a, alpha=alpha)
    return 0.5 * (xp.sum(e * e) + xp.sum(S * S))


def biased_loss_gradient(problem: SobolevProblem, W, b, a, *, alpha=None):
    """``(∂L/∂W (m, d), ∂L/∂b (m,))`` of the loss (11), in closed form.

    With ``z_ri = α w_rᵀx_i + β b_r``: ``∂e_i/∂w_r = −a_r σ'(z_ri) α x_i``,
    ``∂S_i/∂w_r = −a_r σ'(z_ri) V_i`` (the α of ∇g cancels the 1/α), ``∂e_i/∂b_r = −a_r σ' β``,
    and ``S`` does not depend on ``b``.
    """
    W, b, a = arguments.network(problem, W, a, b, bias=True)
    return _biased_loss_and_gradient(problem, W, b, a, alpha)[3:]


def biased_loss_and_gradient(problem: SobolevProblem, W, b, a, *, alpha=None):
    """``(L, e, S, ∂L/∂W, ∂L/∂b)`` of the loss (11) from one pass: the biased GD hot loop."""
    W, b, a = arguments.network(problem, W, a, b, bias=True)
    return _biased_loss_and_gradient(problem, W, b, a, alpha)


def _biased_loss_and_gradient(problem, W, b, a, alpha=None):
    """:func:`biased_loss_and_gradient` without the argument checks (hot loops)."""
    xp, al, be, aP, e, S = _biased_residuals(problem, W, b, a, alpha)
    loss = 0.5 * (xp.sum(e * e) + xp.sum(S * S))
    return loss, e, S, _grad_from(problem, aP, e, S, x_scale=al), -be * (aP @ e)
