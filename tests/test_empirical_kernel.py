"""The empirical kernel H(W) = Σ_r H_r of Section 3 (14), against independent routes.

* Σ_r Ω_rᵀΩ_r with Ω_r written out from the paper (any output layer a, weighing H_r by a_r²);
* JJᵀ with J the finite-difference Jacobian of the engine's outputs in W (exact while no
  activation changes);
* the residual dynamics (14), dr/dt = −H r, by finite differences in time along W' = −∂L/∂W;
* the biased network's kernel in (W, b) against H on lifted data (Section 2.1);
* its cost: memory that grows like O(nm + N² + Nd), never the (N × md) Jacobian.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import proofkit as pk
from proofkit.backend import tolerance

ROUND = tolerance(np.float64, 256.0)

# ---------------------------------------------------------------------------------------
# the empirical kernel H(W) against Σ_r Ω_rᵀΩ_r and against finite-difference Jacobians
# ---------------------------------------------------------------------------------------
EMP = [
    dict(n=4, d=5, k=2, m=9, seed=0),
    dict(n=5, d=3, k=0, m=6, seed=1),
    dict(n=3, d=6, k=4, m=5, seed=2),
]


def _emp_case(spec):
    p = pk.random_problem(spec["n"], spec["d"], spec["k"], separation=0.2, seed=spec["seed"])
    W, a = (np.array(u) for u in pk.init_network(spec["m"], spec["d"], seed=30 + spec["seed"]))
    return p, W, a


def _omega_sum(p, W, a):
    """Σ_r Ω_rᵀΩ_r with Ω_r = [∂f(x_1)/∂w_r … ∂F̄(x_n)/∂w_r] = a_r σ'(w_rᵀx_i)[x_i … V_i]."""
    x, _, V, _ = p.host()
    H = np.zeros((p.N, p.N))
    for r in range(W.shape[0]):
        s = (x @ W[r] > 0).astype(float)
        df = [a[r] * s[i] * x[i] for i in range(p.n)]
        dF = [a[r] * s[i] * V[i][:, l] for i in range(p.n) for l in range(p.k)]
        Om = np.column_stack(df + dF)
        H += Om.T @ Om
    return H


@pytest.mark.parametrize("spec", EMP)
def test_empirical_kernel_equals_sum_of_omega_r_gram_matrices(spec):
    p, W, a = _emp_case(spec)
    ref = _omega_sum(p, W, a)
    assert np.allclose(pk.empirical_kernel(p, W), ref, rtol=0, atol=ROUND)
    assert np.allclose(pk.empirical_kernel(p, W, a), ref, rtol=0, atol=ROUND)
    assert np.allclose(pk.naive_empirical_kernel(p, W), ref, rtol=0, atol=ROUND)
    # any output layer, not only |a_r| = 1/√m: the kernel weighs H_r by a_r²
    b = np.linspace(-2.0, 3.0, W.shape[0])
    ref_b = _omega_sum(p, W, b)
    scale = float(np.sum(b * b))
    assert np.allclose(pk.empirical_kernel(p, W, b), ref_b, rtol=0, atol=ROUND * scale)
    assert np.allclose(pk.naive_empirical_kernel(p, W, b), ref_b, rtol=0, atol=ROUND * scale)
    H = pk.empirical_kernel(p, W)
    assert np.array_equal(H, H.T) and pk.lambda_min(H) >= -ROUND * p.N


def _outputs(p, W, a):
    """The model outputs in the paper's ordering: (f(x_1) … f(x_n), F̄_1 … F̄_n)."""
    return np.concatenate([pk.forward(p, W, a), pk.directional_derivatives(p, W, a).reshape(-1)])


def _fd_jacobian(fun, theta, step):
    cols = []
    for idx in np.ndindex(theta.shape):
        E = np.zeros_like(theta)
        E[idx] = step
        cols.append((fun(theta + E) - fun(theta - E)) / (2 * step))
    return np.column_stack(cols)


@pytest.mark.parametrize("spec", EMP)
def test_empirical_kernel_equals_jacobian_gram_from_finite_differences(spec):
    p, W, a = _emp_case(spec)
    x = p.host()[0]
    step = float(np.min(np.abs(W @ x.T))) / 4  # outputs are linear in W below this step
    J = _fd_jacobian(lambda th: _outputs(p, th, a), W, step)
    scale = 1.0 + np.abs(a) @ np.linalg.norm(W, axis=1)
    tol_J = ROUND * scale / step
    tol_H = 2 * J.shape[1] * (np.max(np.abs(J)) + tol_J) * tol_J
    assert np.allclose(pk.empirical_kernel(p, W, a), J @ J.T, rtol=0, atol=tol_H)


@pytest.mark.parametrize("spec", EMP)
def test_residual_dynamics_14_by_finite_differences_in_time(spec):
    """Along W' = −∂L/∂W (5), d/dt (e, S) = −H(W) (e, S) (14)."""
    p, W, a = _emp_case(spec)
    x = p.host()[0]
    G = pk.loss_gradient(p, W, a)
    r0 = pk.residual_vector(*pk.residuals(p, W, a))
    mu = float(np.min(np.abs(W @ x.T)))
    tau = mu / (4 * float(np.max(np.linalg.norm(G, axis=1))))  # no activation changes

    def r_at(t):
        return pk.residual_vector(*pk.residuals(p, W - t * G, a))

    drdt = (r_at(tau) - r_at(-tau)) / (2 * tau)
    scale = 1.0 + p.gamma + np.abs(a) @ np.linalg.norm(W, axis=1)
    assert np.allclose(drdt, -pk.empirical_kernel(p, W, a) @ r0, rtol=0,
                       atol=ROUND * scale / tau)


BIASED = [dict(n=4, d=3, k=2, m=6, seed=0, alpha=None), dict(n=3, d=4, k=1, m=5, seed=1,
                                                               alpha=0.6)]


@pytest.mark.parametrize("spec", BIASED)
def test_biased_network_kernel_equals_empirical_kernel_on_lifted_data(spec):
    """J_b J_bᵀ of the biased outputs (g, (1/α)Vᵀ∇g) in (W, b) is H(W̃) on lifted data."""
    p = pk.random_problem(spec["n"], spec["d"], spec["k"], separation=0.2, assumption=2,
                          seed=spec["seed"])
    W, b, a = (np.array(u) for u in pk.init_biased_network(spec["m"], spec["d"], seed=9))
    alpha = spec["alpha"]
    al = 1 / (2 * p.k) if alpha is None else alpha
    be = math.sqrt(1 - al * al)
    theta = np.column_stack([W, b])

    def outputs(th):
        Wt, bt = th[:, :-1], th[:, -1]
        g = pk.biased_forward(p, Wt, bt, a, alpha=alpha)
        G = pk.biased_directional_derivatives(p, Wt, bt, a, alpha=alpha) / al
        return np.concatenate([g, G.reshape(-1)])

    x = p.host()[0]
    step = float(np.min(np.abs(al * (W @ x.T) + be * b[:, None]))) / 4
    J = _fd_jacobian(outputs, theta, step)
    scale = (1.0 + np.abs(a) @ np.linalg.norm(theta, axis=1)) / al
    tol_J = ROUND * scale / step
    tol_H = 2 * J.shape[1] * (np.max(np.abs(J)) + tol_J) * tol_J
    lifted = pk.empirical_kernel(pk.lift_bias(p, alpha), theta, a)
    assert np.allclose(lifted, J @ J.T, rtol=0, atol=tol_H)


# ---------------------------------------------------------------------------------------
# cost: H(W) is assembled without the (N × md) Jacobian
# ---------------------------------------------------------------------------------------
def _peak_bytes(fun):
    tracemalloc.start()
    try:
        fun()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_empirical_kernel_memory_grows_like_nm_plus_n_squared_not_n_squared_md():
    """NumPy reports its buffers to tracemalloc, so the peak shows which temporaries exist."""
    n, k, m = 12, 3, 30_000
    N = n * (k + 1)
    peaks = {}
    for d in (64, 128):
        p = pk.random_problem(n, d, k, seed=1)
        W, a = pk.init_network(m, d, seed=1)
        pk.empirical_kernel(p, W[:10], a[:10])  # imports and caches outside the measurement
        peaks[d] = _peak_bytes(lambda p=p, W=W, a=a: pk.empirical_kernel(p, W, a))
        budget = 8 * (4 * m * n + 8 * (N * N + N * d))  # a few (m, n), (N, N), (N, d) arrays
        jacobian = 8 * N * m * d  # what forming the (N × md) Jacobian would cost
        assert 50 * budget < jacobian  # the sizes keep the two regimes far apart
        assert peaks[d] <= budget, f"peak {peaks[d]} B at d={d}; O(nm + N² + Nd) allows {budget}"
    # doubling d adds at most O(Nd) bytes: no (m × d)-sized or larger temporary per point
    assert peaks[128] <= peaks[64] + 8 * 8 * N * 64
