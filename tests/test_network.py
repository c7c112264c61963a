"""The network (4), initialisation (9), residuals (6), the loss and its gradient (5), and the
biased network (10)–(11), each checked against an independent route.

Routes: the paper's formulas written out as loops over neurons and points; central finite
differences in W (the loss is exactly quadratic in W while no w_rᵀx_i changes sign, so
the differences are exact up to round-off); finite differences in x of the engine's own
``forward`` (the unbiased network is positively 1-homogeneous in x, so f at any point z
equals ‖z‖ f(z/‖z‖), a value the engine can compute on unit data); and the lifting of
Section 2.1 (the biased network directly against the unbiased one on lifted data).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import proofkit as pk
from proofkit.backend import tolerance

ROUND = tolerance(np.float64, 256.0)  # round-off allowance per unit of scale

CASES = [
    dict(n=5, d=4, k=2, m=7, seed=0),
    dict(n=6, d=3, k=0, m=5, seed=1),
    dict(n=4, d=6, k=3, m=11, seed=2),
    dict(n=3, d=2, k=1, m=4, seed=3),
]


def _case(spec):
    p = pk.random_problem(spec["n"], spec["d"], spec["k"], separation=0.2, seed=spec["seed"])
    W, a = pk.init_network(spec["m"], spec["d"], seed=100 + spec["seed"])
    return p, np.array(W), np.array(a)


def _margin(Z):
    """Smallest |pre-activation|: perturbations below it keep the activation pattern."""
    return float(np.min(np.abs(Z)))


# ---------------------------------------------------------------------------------------
# the paper's formulas, written out (independent of the engine's vectorised algebra)
# ---------------------------------------------------------------------------------------
def _ref_outputs(p, W, a):
    x, _, V, _ = p.host()
    m, n, k = W.shape[0], p.n, p.k
    f = np.zeros(n)
    F = np.zeros((n, k))
    for i in range(n):
        for r in range(m):
            z = float(W[r] @ x[i])
            f[i] += a[r] * max(z, 0.0)  # (4)
            if z > 0:  # σ'(z) = 1{z > 0}
                F[i] += a[r] * (V[i].T @ W[r])
    return f, F


def _ref_biased_outputs(x, V, W, b, a, alpha):
    """g of (10) at the rows of ``x`` (any points) and V_iᵀ∇_x g there."""
    beta = math.sqrt(1 - alpha * alpha)
    g = np.zeros(len(x))
    G = np.zeros((len(x), V.shape[2]))
    for i in range(len(x)):
        for r in range(W.shape[0]):
            z = alpha * float(W[r] @ x[i]) + beta * b[r]
            g[i] += a[r] * max(z, 0.0)
            if z > 0:
                G[i] += a[r] * alpha * (V[i].T @ W[r])
    return g, G


# ---------------------------------------------------------------------------------------
# initialisation (9)
# ---------------------------------------------------------------------------------------
def test_init_network_follows_9():
    m, d = 4000, 5
    W, a = pk.init_network(m, d, seed=3)
    assert W.shape == (m, d) and a.shape == (m,)
    assert np.all(np.abs(np.abs(a) * math.sqrt(m) - 1.0) <= ROUND)
    # N(0, 1) entries and fair signs: 6-sigma bounds on the sample moments
    mean_bound = 6 / math.sqrt(W.size)
    assert abs(float(W.mean())) <= mean_bound
    assert abs(float(W.var()) - 1.0) <= 6 * math.sqrt(2 / W.size)
    assert abs(float(np.mean(np.sign(a)))) <= 6 / math.sqrt(m)


def test_init_network_is_seeded():
    W1, a1 = pk.init_network(6, 3, seed=9)
    W2, a2 = pk.init_network(6, 3, seed=np.random.default_rng(9))
    W3, _ = pk.init_network(6, 3, seed=10)
    assert np.array_equal(W1, W2) and np.array_equal(a1, a2)
    assert not np.array_equal(W1, W3)


@pytest.mark.parametrize("m", [0, -3, 2.5])
def test_init_network_rejects_bad_width(m):
    with pytest.raises(ValueError, match=r"^m = .*width"):
        pk.init_network(m, 3)


def test_init_biased_network_splits_the_lifted_draws():
    Wl, al = pk.init_network(8, 5, seed=4)
    W, b, a = pk.init_biased_network(8, 4, seed=4)
    assert np.array_equal(W, Wl[:, :4]) and np.array_equal(b, Wl[:, 4])
    assert np.array_equal(a, al)


# ---------------------------------------------------------------------------------------
# values, derivatives, residuals (6) and the loss against the written-out formulas
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", CASES)
def test_outputs_residuals_and_loss_match_the_paper_formulas(spec):
    p, W, a = _case(spec)
    f, F = _ref_outputs(p, W, a)
    scale = 1.0 + np.abs(a) @ np.linalg.norm(W, axis=1)
    assert np.allclose(pk.forward(p, W, a), f, rtol=0, atol=ROUND * scale)
    assert np.allclose(pk.directional_derivatives(p, W, a), F, rtol=0, atol=ROUND * scale)
    e, S = pk.residuals(p, W, a)
    assert e.shape == (p.n,) and S.shape == (p.n, p.k)
    assert np.allclose(e, p.y - f, rtol=0, atol=ROUND * scale)
    assert np.allclose(S, p.h - F, rtol=0, atol=ROUND * scale)
    r = pk.residual_vector(e, S)
    # paper ordering: n values, then n blocks h_i − F̄_i of k entries each
    expected = np.concatenate([e] + [S[i] for i in range(p.n)])
    assert np.array_equal(r, expected)
    L = 0.5 * (np.sum((p.y - f) ** 2) + np.sum((p.h - F) ** 2))
    assert pk.sobolev_loss(p, W, a) == pytest.approx(L, rel=ROUND * scale)
    L2, e2, S2, g2 = pk.loss_and_gradient(p, W, a)
    assert L2 == pk.sobolev_loss(p, W, a)
    assert np.array_equal(e2, e) and np.array_equal(S2, S)
    assert np.array_equal(g2, pk.loss_gradient(p, W, a))


@pytest.mark.parametrize("spec", CASES)
def test_activation_pattern_is_the_indicator_of_positive_preactivation(spec):
    p, W, _ = _case(spec)
    P = pk.activation_pattern(p, W)
    x = p.host()[0]
    for r in range(W.shape[0]):
        for i in range(p.n):
            assert P[r, i] == (1.0 if W[r] @ x[i] > 0 else 0.0)


def test_zero_preactivation_counts_as_inactive():
    """σ'(0) = 0: a neuron exactly on x_i's boundary adds nothing to V_iᵀ∇f(x_i)."""
    V0 = np.zeros((2, 3, 1))
    V0[0, :, 0] = [0.0, 1.0, 0.0]
    V0[1, :, 0] = [0.0, 0.0, 1.0]
    p = pk.SobolevProblem(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.zeros(2), V0,
                          np.zeros((2, 1)))
    W = np.array([[0.0, 2.0, 3.0], [1.0, 1.0, 1.0]])  # w_1ᵀx_1 = 0 exactly
    a = np.array([1.0, -1.0])
    assert pk.activation_pattern(p, W)[0, 0] == 0.0
    assert pk.directional_derivatives(p, W, a)[0, 0] == -1.0  # only neuron 2: −1·v_1ᵀw_2
    _, F = _ref_outputs(p, W, a)
    assert np.array_equal(pk.directional_derivatives(p, W, a), F)


# ---------------------------------------------------------------------------------------
# central finite differences
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", CASES)
def test_loss_gradient_matches_central_differences(spec):
    p, W, a = _case(spec)
    x = p.host()[0]
    mu = _margin(W @ x.T)
    step = mu / 4  # |Δ(w_rᵀx_i)| ≤ step·|x_ic| < mu: no pattern change, L exactly quadratic
    L0 = float(pk.sobolev_loss(p, W, a))
    grad = pk.loss_gradient(p, W, a)
    assert grad.shape == W.shape
    fd = np.zeros_like(W)
    for r in range(W.shape[0]):
        for c in range(W.shape[1]):
            E = np.zeros_like(W)
            E[r, c] = step
            fd[r, c] = (pk.sobolev_loss(p, W + E, a) - pk.sobolev_loss(p, W - E, a)) / (2 * step)
    scale = 1.0 + L0 + p.gamma**2
    assert np.allclose(grad, fd, rtol=0, atol=ROUND * scale / step)


@pytest.mark.parametrize("spec", CASES)
def test_loss_gradient_matches_the_paper_derivative(spec):
    """∂L/∂w_r = −Σ_i e_i ∂f(x_i)/∂w_r − Σ_i (∂F̄_i/∂w_r) S_i, with ∂f/∂w_r = a_r σ' x_i and
    ∂F̄_i/∂w_r = a_r σ' V_i (Section 3.1, proof of Lemma 4)."""
    p, W, a = _case(spec)
    x, y, V, h = p.host()
    f, F = _ref_outputs(p, W, a)
    e, S = y - f, h - F
    ref = np.zeros_like(W)
    for r in range(W.shape[0]):
        for i in range(p.n):
            if W[r] @ x[i] > 0:
                ref[r] -= a[r] * (e[i] * x[i] + V[i] @ S[i])
    scale = 1.0 + p.gamma + np.abs(a) @ np.linalg.norm(W, axis=1)
    assert np.allclose(pk.loss_gradient(p, W, a), ref, rtol=0, atol=ROUND * scale**2)


def _forward_anywhere(W, a, Z):
    """f(W, z) at arbitrary nonzero rows z of Z through the engine, by homogeneity of (4)."""
    norms = np.linalg.norm(Z, axis=1)
    unit = Z / norms[:, None]
    q = pk.SobolevProblem(unit, np.zeros(len(Z)), np.zeros((len(Z), Z.shape[1], 0)),
                          np.zeros((len(Z), 0)))
    return norms * pk.forward(q, W, a)


def test_forward_is_positively_homogeneous_in_x():
    p, W, a = _case(CASES[0])
    x = p.host()[0]
    for c in (0.5, 3.0):
        scaled = c * x
        ref = np.array([sum(a[r] * max(0.0, float(W[r] @ z)) for r in range(len(a)))
                        for z in scaled])
        assert np.allclose(_forward_anywhere(W, a, scaled), ref, rtol=0,
                           atol=ROUND * c * (1 + np.abs(a) @ np.linalg.norm(W, axis=1)))


@pytest.mark.parametrize("spec", [c for c in CASES if c["k"] > 0])
def test_directional_derivatives_match_finite_differences_of_f(spec):
    p, W, a = _case(spec)
    x, _, V, _ = p.host()
    Fbar = pk.directional_derivatives(p, W, a)
    wmax = float(np.max(np.linalg.norm(W, axis=1)))
    scale = 1.0 + np.abs(a) @ np.linalg.norm(W, axis=1)
    for i in range(p.n):
        t = _margin(W @ x[i]) / (4 * wmax)  # |t w_rᵀv| < |w_rᵀx_i|: f linear on the segment
        for l in range(p.k):
            v = V[i][:, l]
            fp, fm = _forward_anywhere(W, a, np.stack([x[i] + t * v, x[i] - t * v]))
            assert Fbar[i, l] == pytest.approx((fp - fm) / (2 * t), abs=ROUND * scale / t)


def test_directional_derivative_jumps_by_a_r_V_i_w_r_across_a_boundary():
    """f is continuous in W; V_iᵀ∇f(x_i) jumps by a_r V_iᵀw_r when w_rᵀx_i changes sign."""
    p = pk.random_problem(4, 5, 2, separation=0.2, seed=6)
    x, y, V, h = (np.array(u) for u in p.host())
    x[0] = np.eye(5)[0]
    V[0] = np.eye(5)[:, [2, 4]]
    p = pk.SobolevProblem(x, y, V, h)
    W, a = pk.init_network(6, 5, seed=6)
    W = np.array(W)
    r0 = 2
    W[r0, 0] = 0.0  # w_{r0}ᵀx_0 = 0
    others = np.delete(W @ x.T, r0, axis=0)
    eps = 0.25 * min(_margin(others), _margin(np.delete(W[r0] @ x.T, 0)))
    Wp, Wm = W.copy(), W.copy()
    Wp[r0, 0], Wm[r0, 0] = eps, -eps
    jump = pk.directional_derivatives(p, Wp, a) - pk.directional_derivatives(p, Wm, a)
    expected = np.zeros((p.n, p.k))
    expected[0] = a[r0] * (V[0].T @ Wp[r0])  # the jump: neuron r0 switches on at x_0
    for j in range(1, p.n):  # elsewhere neuron r0 keeps its state: a smooth O(eps) change
        if W[r0] @ x[j] > 0:
            expected[j] = a[r0] * (V[j].T @ (Wp[r0] - Wm[r0]))
    scale = 1.0 + np.abs(a) @ np.linalg.norm(W, axis=1)
    assert np.allclose(jump, expected, rtol=0, atol=ROUND * scale)
    assert abs(expected[0]).max() > 0.1 * abs(a[r0])  # a real jump, not round-off
    df = pk.forward(p, Wp, a) - pk.forward(p, Wm, a)
    assert np.max(np.abs(df)) <= abs(a[r0]) * eps * (1 + ROUND) + ROUND * scale


# ---------------------------------------------------------------------------------------
# the biased network (10)–(11): directly, and against the unbiased one on lifted data
# ---------------------------------------------------------------------------------------
BIASED = [
    dict(n=5, d=4, k=2, m=7, seed=0, alpha=None),
    dict(n=4, d=3, k=1, m=6, seed=1, alpha=0.7),
    dict(n=4, d=5, k=3, m=9, seed=2, alpha=0.05),
    dict(n=3, d=3, k=0, m=5, seed=3, alpha=None),
]


def _biased_case(spec):
    p = pk.random_problem(spec["n"], spec["d"], spec["k"], separation=0.2, assumption=2,
                          seed=spec["seed"])
    W, b, a = (np.array(u) for u in pk.init_biased_network(spec["m"], spec["d"],
                                                           seed=50 + spec["seed"]))
    alpha = spec["alpha"]
    al = (1 / (2 * p.k) if p.k else 0.5) if alpha is None else alpha
    return p, W, b, a, alpha, al


@pytest.mark.parametrize("spec", BIASED)
def test_biased_network_matches_eq_10_and_11_written_out(spec):
    p, W, b, a, alpha, al = _biased_case(spec)
    x, _, V, _ = p.host()
    g, G = _ref_biased_outputs(x, V, W, b, a, al)
    scale = 1.0 + np.abs(a) @ (np.linalg.norm(W, axis=1) + np.abs(b))
    assert np.allclose(pk.biased_forward(p, W, b, a, alpha=alpha), g, rtol=0, atol=ROUND * scale)
    assert np.allclose(pk.biased_directional_derivatives(p, W, b, a, alpha=alpha), G, rtol=0,
                       atol=ROUND * scale)
    e, S = pk.biased_residuals(p, W, b, a, alpha=alpha)
    assert np.allclose(e, p.y - g, rtol=0, atol=ROUND * scale)
    assert np.allclose(S, (p.h - G) / al, rtol=0, atol=ROUND * scale / al)
    L = 0.5 * np.sum((g - p.y) ** 2) + 0.5 * np.sum(((G - p.h) / al) ** 2)
    assert pk.biased_loss(p, W, b, a, alpha=alpha) == pytest.approx(L, rel=ROUND * scale / al**2)


@pytest.mark.parametrize("spec", [s for s in BIASED if s["k"] > 0])
def test_biased_directional_derivatives_match_finite_differences_of_g(spec):
    p, W, b, a, alpha, al = _biased_case(spec)
    x, _, V, _ = p.host()
    G = pk.biased_directional_derivatives(p, W, b, a, alpha=alpha)
    be = math.sqrt(1 - al * al)
    wmax = float(np.max(np.linalg.norm(W, axis=1)))
    scale = 1.0 + np.abs(a) @ (np.linalg.norm(W, axis=1) + np.abs(b))
    for i in range(p.n):
        t = _margin(al * (W @ x[i]) + be * b) / (4 * al * wmax)
        for l in range(p.k):
            v = V[i][:, l]
            pts = np.stack([x[i] + t * v, x[i] - t * v])
            gp, gm = _ref_biased_outputs(pts, np.stack([V[i]] * 2), W, b, a, al)[0]
            assert G[i, l] == pytest.approx((gp - gm) / (2 * t), abs=ROUND * scale / t)


@pytest.mark.parametrize("spec", BIASED)
def test_biased_gradient_matches_central_differences(spec):
    p, W, b, a, alpha, al = _biased_case(spec)
    x = p.host()[0]
    be = math.sqrt(1 - al * al)
    mu = _margin(al * (W @ x.T) + be * b[:, None])
    gW, gb = pk.biased_loss_gradient(p, W, b, a, alpha=alpha)
    assert gW.shape == W.shape and gb.shape == b.shape
    theta = np.column_stack([W, b])
    step = mu / 4  # |Δz| ≤ step·max(α, β) < mu

    def loss(th):
        return pk.biased_loss(p, th[:, :-1], th[:, -1], a, alpha=alpha)

    fd = np.zeros_like(theta)
    for r in range(theta.shape[0]):
        for c in range(theta.shape[1]):
            E = np.zeros_like(theta)
            E[r, c] = step
            fd[r, c] = (loss(theta + E) - loss(theta - E)) / (2 * step)
    scale = 1.0 + float(loss(theta)) + p.gamma**2 / al**2
    assert np.allclose(np.column_stack([gW, gb]), fd, rtol=0, atol=ROUND * scale / step)


@pytest.mark.parametrize("spec", BIASED)
def test_biased_network_equals_unbiased_network_on_lifted_data(spec):
    """Section 2.1: with x̃ = (αx, β), Ṽ = [V; 0], h̃ = h/α and w̃_r = (w_r, b_r)."""
    p, W, b, a, alpha, al = _biased_case(spec)
    q = pk.lift_bias(p, alpha)
    Wl = np.column_stack([W, b])
    scale = 1.0 + np.abs(a) @ np.linalg.norm(Wl, axis=1)
    tol = ROUND * scale
    # values
    assert np.allclose(pk.biased_forward(p, W, b, a, alpha=alpha), pk.forward(q, Wl, a),
                       rtol=0, atol=tol)
    # derivatives: Ṽᵀ∇f(x̃) = (1/α) Vᵀ∇g(x)
    assert np.allclose(pk.biased_directional_derivatives(p, W, b, a, alpha=alpha) / al,
                       pk.directional_derivatives(q, Wl, a), rtol=0, atol=tol / al)
    # residuals and losses of (11) and of the lifted (unbiased) problem
    eb, Sb = pk.biased_residuals(p, W, b, a, alpha=alpha)
    el, Sl = pk.residuals(q, Wl, a)
    assert np.allclose(eb, el, rtol=0, atol=tol)
    assert np.allclose(Sb, Sl, rtol=0, atol=tol / al)
    Lb = pk.biased_loss(p, W, b, a, alpha=alpha)
    assert Lb == pytest.approx(pk.sobolev_loss(q, Wl, a), rel=tol / al**2)
    # gradients: ∂L/∂w̃_r = (∂L/∂w_r, ∂L/∂b_r)
    gW, gb = pk.biased_loss_gradient(p, W, b, a, alpha=alpha)
    gl = pk.loss_gradient(q, Wl, a)
    gscale = (1.0 + p.gamma / al + scale) ** 2
    assert np.allclose(gW, gl[:, :-1], rtol=0, atol=ROUND * gscale)
    assert np.allclose(gb, gl[:, -1], rtol=0, atol=ROUND * gscale)


def test_biased_functions_reject_bad_alpha():
    p, W, b, a, _, _ = _biased_case(BIASED[0])
    for bad in (0.0, 1.0, -0.5):
        with pytest.raises(ValueError, match=r"alpha in \(0, 1\)"):
            pk.biased_forward(p, W, b, a, alpha=bad)


@pytest.mark.parametrize("block", [1, 7, 64, 10**9])
def test_blocked_numpy_step_equals_the_generic_path(block):
    # the NumPy fast path works in blocks of rows of W; the generic path (run here on
    # array_api_strict arrays) forms the whole (m × n) pattern at once
    import array_api_strict as xs

    from proofkit.network import _loss_and_gradient_numpy

    p = pk.random_problem(5, 6, 2, seed=11)
    W, a = pk.init_network(150, 6, seed=12)
    L, e, S, g = _loss_and_gradient_numpy(p, W, a, block=block)
    ps = pk.SobolevProblem(*(xs.asarray(np.asarray(v)) for v in p.host()))
    Ls, es, Ss, gs = pk.loss_and_gradient(ps, xs.asarray(W), xs.asarray(a))
    tol = tolerance(np.float64, factor=1e3)
    assert abs(float(L) - float(Ls)) <= tol * max(1.0, abs(float(L)))
    for got, ref in ((e, es), (S, Ss), (g, gs)):
        assert np.max(np.abs(got - pk.to_numpy(ref))) <= tol
