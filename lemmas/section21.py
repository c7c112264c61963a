"""Section 2.1: the bias is a change of variables (the reduction behind Theorem 2).

With α = 1/(2k), β = √(1 − α²), lifted data x̃_i = (αx_i, β), Ṽ_i = [V_i; 0], h̃_i = h_i/α and
weights w̃_r = (w_r, b_r):

- (10): g(W, b, x_i) = f(W̃, x̃_i) (SymPy: α wᵀx + β b = w̃ᵀx̃) — verified, and numerically
  ``biased_forward`` = ``forward`` on ``lift_bias`` data;
- (11): (1/α)V_iᵀ∇_x g − h_i/α = Ṽ_iᵀ∇_x̃ f − h̃_i, so the loss (11) is the unbiased loss of the
  lifted data — verified; the printed "b ∈ R^d" must be b ∈ R^m (one bias per neuron in (10)):
  ``typo``;
- (12): the gradients in (w_r, b_r) are the gradients in w̃_r (the parameter map is the
  identity), so the flows coincide — verified numerically; (12) writes L(W(t)) for L(W(t), b(t));
- ‖x̃_i‖ = 1 (α² + β² = 1); δ1(lifted) ≥ min(αδ̂1, 2β), in fact δ1(lifted) = αδ̂1 exactly
  because αδ̂1 ≤ 2α ≤ 1 < √3 ≤ 2β for k ≥ 1 (the min is never attained by 2β);
  δ2(lifted) = α δ2 ≤ α = 1/(2k), so 1 − kδ2(lifted) ≥ 1/2 — no condition (8) on the original
  data is needed.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from lemmas._section21_lift import (
    _lifted_weights,
    _sides,
    biased_example,
    biased_instances,
    k_positive,
)
from lemmas.lemma5 import delta1_mp
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.network import (
    biased_forward,
    biased_loss,
    biased_loss_gradient,
    biased_residuals,
    forward,
    init_biased_network,
    loss_gradient,
    residuals,
    sobolev_loss,
)
from proofkit.problem import default_alpha, lift_bias


def _ab(k: int) -> tuple[float, float]:
    a = default_alpha(k)
    return a, math.sqrt(1 - a * a)


def _rel(u, v) -> float:
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    return float(np.max(np.abs(u - v)) / max(1.0, float(np.max(np.abs(v))) if v.size else 1.0))


def _tol(inst) -> float:
    m, d = np.asarray(inst["W"]).shape
    return 64 * np.finfo(float).eps * (m + d)


def _sym_network() -> bool:
    d = 3
    al, be, b = sp.symbols("alpha beta b", real=True)
    w = sp.Matrix(sp.symbols(f"w0:{d}", real=True))
    x = sp.Matrix(sp.symbols(f"x0:{d}", real=True))
    lhs = al * (w.T * x)[0] + be * b
    rhs = (sp.Matrix.vstack(w, sp.Matrix([b])).T * sp.Matrix.vstack(al * x, sp.Matrix([be])))[0]
    return sp.expand(lhs - rhs) == 0


def _derive_network(ctx: Context) -> Outcome:
    inst = ctx.instance
    p = inst["problem"]
    q = lift_bias(p)
    W, b, a = np.asarray(inst["W"]), np.asarray(inst["b"]), np.asarray(inst["a"])
    gap = _rel(biased_forward(p, W, b, a), forward(q, _lifted_weights(inst), a))
    ok = _sym_network() and gap <= _tol(inst)
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"g(W, b, x_i) = f(\tilde W, \tilde x_i),\ \tilde x_i = (\alpha x_i, \beta),\ "
        r"\tilde w_r = (w_r, b_r)",
        f"SymPy: α wᵀx + β b − (w, b)ᵀ(αx, β) = 0. Instance: max relative |g − f̃| = {gap:.1e}.",
        {"gap": gap},
    )


def _sym_loss() -> bool:
    """(1/α)Vᵀ∇_x g − h/α = Ṽᵀ∇_x̃ f − h̃ for one neuron with σ' = s (symbolic)."""
    d, k = 3, 2
    al, b, s, ar = sp.symbols("alpha b s a_r", real=True)
    w = sp.Matrix(sp.symbols(f"w0:{d}", real=True))
    V = sp.Matrix(d, k, lambda i, j: sp.Symbol(f"v{i}{j}", real=True))
    h = sp.Matrix(sp.symbols(f"h0:{k}", real=True))
    grad_g = ar * s * al * w                      # ∇_x σ(α wᵀx + β b) = σ' α w
    Vt = sp.Matrix.vstack(V, sp.zeros(1, k))
    grad_f = ar * s * sp.Matrix.vstack(w, sp.Matrix([b]))  # ∇_x̃ σ(w̃ᵀx̃) = σ' w̃
    lhs = V.T * grad_g / al - h / al
    rhs = Vt.T * grad_f - h / al
    return sp.simplify(lhs - rhs) == sp.zeros(k, 1)


def _derive_loss(ctx: Context) -> Outcome:
    inst = ctx.instance
    p, q = inst["problem"], lift_bias(inst["problem"])
    W, b, a = np.asarray(inst["W"]), np.asarray(inst["b"]), np.asarray(inst["a"])
    Wl = _lifted_weights(inst)
    eb, Sb = biased_residuals(p, W, b, a)
    el, Sl = residuals(q, Wl, a)
    gap = max(_rel(eb, el), _rel(Sb, Sl),
              _rel(biased_loss(p, W, b, a), sobolev_loss(q, Wl, a)))
    ok = _sym_loss() and gap <= _tol(inst) * 1e2
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"L(W, b) = \tfrac12\sum_i (f(\tilde W,\tilde x_i) - y_i)^2 + \tfrac12\sum_i "
        r"\|\tilde V_i^T\nabla f(\tilde W,\tilde x_i) - h_i/\alpha\|^2",
        "SymPy: (1/α)V_iᵀ∇_x g − h_i/α = Ṽ_iᵀ∇_x̃ f − h̃_i per neuron (σ'' = 0). Instance: max "
        f"relative gap of residuals e, S (Theorem 2's definitions) and loss (11) = {gap:.1e}.",
        {"gap": gap},
    )


def _derive_bias_dim(ctx: Context) -> Outcome:
    inst = ctx.instance
    m, d = np.asarray(inst["W"]).shape
    nb = np.asarray(inst["b"]).shape[0]
    p = inst["problem"]
    # (10) indexes b_r, r = 1..m; the loss identity above holds with b ∈ R^m
    try:
        biased_loss(p, inst["W"], np.zeros(d), inst["a"]) if d != m else None
        shape_ok_d = d == m
    except Exception:  # b ∈ R^d does not even fit (10) when d ≠ m
        shape_ok_d = False
    intended = nb == m and _rel(biased_loss(p, inst["W"], inst["b"], inst["a"]),
                                sobolev_loss(lift_bias(p), _lifted_weights(inst),
                                             inst["a"])) <= _tol(inst) * 1e2
    verdict = Verdict.TYPO if intended and not shape_ok_d else (
        Verdict.VERIFIED if intended else Verdict.ERROR)
    return Outcome(
        verdict,
        r"\min_{W \in \mathbb{R}^{m\times d},\ b \in \mathbb{R}^m} L(W, b)",
        f"(10) uses one bias b_r per neuron, r = 1..m (here m = {m}, d = {d}): a bias vector in "
        f"R^d {'cannot be evaluated in (10)' if not shape_ok_d else 'only fits because d = m'}; with "
        "b ∈ R^m the loss (11) equals the lifted loss (previous step). (12) likewise writes "
        "∂L(W(t))/∂w_r for ∂L(W(t), b(t))/∂w_r.",
        {"m": m, "d": d},
    )


def _derive_gradient(ctx: Context) -> Outcome:
    inst = ctx.instance
    p, q = inst["problem"], lift_bias(inst["problem"])
    W, b, a = np.asarray(inst["W"]), np.asarray(inst["b"]), np.asarray(inst["a"])
    gW, gb = biased_loss_gradient(p, W, b, a)
    gl = loss_gradient(q, _lifted_weights(inst), a)
    gap = max(_rel(gW, gl[:, :-1]), _rel(gb, gl[:, -1]))
    # finite-difference spot check of ∂L/∂b_r (independent of both closed forms)
    r = 0
    h = 1e-6
    bp, bm = b.copy(), b.copy()
    bp[r] += h
    bm[r] -= h
    fd = (float(biased_loss(p, W, bp, a)) - float(biased_loss(p, W, bm, a))) / (2 * h)
    fd_gap = abs(fd - float(gb[r])) / max(1.0, abs(fd))
    ok = gap <= _tol(inst) * 1e2 and fd_gap <= 1e-4
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\Big(\frac{\partial L}{\partial w_r}, \frac{\partial L}{\partial b_r}\Big) = "
        r"\frac{\partial \tilde L}{\partial \tilde w_r}",
        "The map (w_r, b_r) ↦ w̃_r is the identity, so (12) is the gradient flow (5) of the lifted "
        f"problem. Instance: max relative gap {gap:.1e} between biased_loss_gradient and "
        f"loss_gradient on lifted data; central difference on b_0 agrees to {fd_gap:.1e} "
        "(may be larger at a ReLU kink).",
        {"gap": gap, "fd_gap": fd_gap},
    )


def _derive_unit(ctx: Context) -> Outcome:
    k = ctx.instance["problem"].k
    al = sp.Rational(1, 2 * k)
    be = sp.sqrt(1 - al**2)
    ok = sp.simplify(al**2 + be**2 - 1) == 0
    q = lift_bias(ctx.instance["problem"])
    dev = float(np.max(np.abs(np.linalg.norm(q.host()[0], axis=1) - 1)))
    return Outcome(
        Verdict.VERIFIED if ok and dev < 1e-14 else Verdict.ERROR,
        r"\|\tilde x_i\|^2 = \alpha^2\|x_i\|^2 + \beta^2 = 1",
        f"SymPy: α² + β² − 1 = 0 for α = 1/(2k) = {al}; instance max |‖x̃_i‖ − 1| = {dev:.1e}.",
        {"norm_dev": dev},
    )


def delta1_lift_sympy() -> tuple[bool, bool]:
    """SymPy: ‖x̃_i − x̃_j‖² = α²‖x_i − x_j‖², ‖x̃_i + x̃_j‖² = α²‖x_i + x_j‖² + 4β²; and
    αδ̂1 ≤ 2α < 2β for α = 1/(2k), k ≥ 1 (so the min is αδ̂1)."""
    d = 3
    al, be = sp.symbols("alpha beta", positive=True)
    xi = sp.Matrix(sp.symbols(f"p0:{d}", real=True))
    xj = sp.Matrix(sp.symbols(f"q0:{d}", real=True))
    li = sp.Matrix.vstack(al * xi, sp.Matrix([be]))
    lj = sp.Matrix.vstack(al * xj, sp.Matrix([be]))
    minus = sp.expand((li - lj).dot(li - lj) - al**2 * (xi - xj).dot(xi - xj)) == 0
    plus = sp.expand((li + lj).dot(li + lj) - al**2 * (xi + xj).dot(xi + xj) - 4 * be**2) == 0
    k = sp.Symbol("k", integer=True, positive=True)
    a_k = 1 / (2 * k)
    gap = sp.simplify(4 * (1 - a_k**2) - (2 * a_k) ** 2)  # (2β)² − (2α)² = 4 − 8α²
    never = bool(sp.simplify(gap.subs(k, 1)) > 0) and sp.limit(gap, k, sp.oo) > 0 and \
        sp.diff(gap, k).subs(k, 1) >= 0
    return bool(minus and plus), bool(never)


def _derive_delta1(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    q = lift_bias(p)
    al, be = _ab(p.k)
    ok_sym, never = delta1_lift_sympy()
    with mpmath.workdps(ctx.dps):
        dhat = delta1_mp(p.host()[0], ctx.dps, antipodal=False)
        am = 1 / (2 * mpmath.mpf(p.k))
        bm = mpmath.sqrt(1 - am * am)
        bound = min(am * dhat, 2 * bm)
    lifted = q.delta1
    holds = lifted >= float(bound) * (1 - 1e-12)
    return Outcome(
        Verdict.VERIFIED if ok_sym and holds else Verdict.ERROR,
        r"\delta_1(\tilde x) = \alpha\hat\delta_1 \ge \min(\alpha\hat\delta_1, 2\beta)",
        "SymPy: ‖x̃_i − x̃_j‖² = α²‖x_i − x_j‖² and ‖x̃_i + x̃_j‖² = α²‖x_i + x_j‖² + 4β² ≥ 4β²; "
        f"(2β)² − (2α)² = 4 − 8α² > 0 for α = 1/(2k) ({'shown' if never else 'NOT shown'}), so "
        "αδ̂1 ≤ 2α < 2β and the min is always αδ̂1. Instance: δ1(lifted) = "
        f"{lifted:.12g}, min(αδ̂1, 2β) = {mpmath.nstr(bound, 12)}.",
        {"delta1_lifted": lifted, "bound": float(bound), "alpha_delta1_hat": al * p.delta1_hat,
         "two_beta": 2 * be},
    )


def _derive_delta2(ctx: Context) -> Outcome:
    p = ctx.instance["problem"]
    q = lift_bias(p)
    al, _ = _ab(p.k)
    k = sp.Symbol("k", positive=True)
    half = sp.simplify(1 - k * (1 / (2 * k)))
    d2l = q.delta2
    ok = half == sp.Rational(1, 2) and d2l <= al * (1 + 1e-12) and \
        abs(d2l - al * p.delta2) <= 1e-14
    return Outcome(
        Verdict.VERIFIED if ok else Verdict.ERROR,
        r"\delta_2(\tilde x, \tilde V) = \alpha\,\delta_2 \le \alpha = \tfrac{1}{2k},\ "
        r"1 - k\delta_2(\tilde x,\tilde V) \ge \tfrac12",
        f"ṽ_{{i,j}}ᵀx̃_i = α v_{{i,j}}ᵀx_i and |v_{{i,j}}ᵀx_i| ≤ 1; SymPy: 1 − k/(2k) = {half}. "
        f"Instance: δ2(lifted) = {d2l:.6g} = α·δ2 = {al * p.delta2:.6g} ≤ α = {al:.6g} "
        "(any original δ2 ≤ 1 is allowed: (8) is not needed with a bias).",
        {"delta2_lifted": d2l, "alpha": al},
    )


def _derive_init(ctx: Context) -> Outcome:
    inst = ctx.instance
    m, d = np.asarray(inst["W"]).shape
    seed = int(inst.get("seed", 0))
    net_b = init_biased_network(m, d, seed=seed)
    from proofkit.network import init_network

    net = init_network(m, d + 1, seed=seed)
    same = bool(np.array_equal(net_b.W, net.W[:, :d]) and np.array_equal(net_b.b, net.W[:, d])
                and np.array_equal(net_b.a, net.a))
    return Outcome(
        Verdict.VERIFIED if same else Verdict.ERROR,
        r"w_r \sim \mathcal{N}(0, I_d),\ b_r \sim \mathcal{N}(0,1) \iff "
        r"\tilde w_r \sim \mathcal{N}(0, I_{d+1})",
        "Independent standard normal coordinates: (w_r, b_r) is N(0, I_{d+1}), the initialisation "
        f"(9) of the lifted network; init_biased_network reproduces init_network(m, d+1) ({same}).",
        {},
    )


_LIFT_DPS = 24  # the lifted data are float64: the two routes agree to ~1e-16, not to dps digits


def _bind(inst) -> dict:
    """The loss of both routes in mpmath (the values the check compares) and the tolerance."""
    _, _, lhs_mp, rhs_mp = _sides(inst, _LIFT_DPS)
    return {"L_biased": lhs_mp, "L_lifted": rhs_mp, "tol": mpmath.mpf(10) ** (-(_LIFT_DPS // 2))}


def _check(inst, dps: int) -> Check:
    lhs, rhs, lhs_mp, rhs_mp = _sides(inst, dps)
    # the lifted data are stored in float64 (αx_i rounded), so the two routes agree to float64
    # accuracy, not to dps digits: compare at the digits the lifting carries
    return compare(lhs, rhs, relation="==", lhs_mp=lhs_mp, rhs_mp=rhs_mp, dps=min(dps, _LIFT_DPS),
                   detail="loss (11) of the biased network against the lifted unbiased loss",
                   extra={"rel_gap_float": abs(lhs - rhs) / max(1.0, abs(rhs)),
                          "rel_gap_mp": float(abs(lhs_mp - rhs_mp) / max(1, abs(rhs_mp)))})


_K_POSITIVE = k_positive(
    "the displays (10)-(12) and this claim's mpmath route use α = 1/(2k), "
    "β = √(1 − α²), undefined at k = 0 (mpmath raises ZeroDivisionError); proofkit's "
    "lift_bias substitutes α = 1/2 there, which is not the paper's α, so a k = 0 instance "
    "would test a different statement")


@claim
def section21() -> Claim:
    Lb, Ll, tol = sp.symbols("L_biased L_lifted tol", nonnegative=True)
    return Claim(
        id="section21",
        title="Bias lifting: the biased network (10)–(12) is the unbiased one on lifted data",
        location="Sec. 2.1, (10)–(12)",
        kind="steps",
        premises=(
            _K_POSITIVE,
            Premise("separation", "(13): δ̂1 > 0", lambda inst: inst["problem"].n >= 2
                    and inst["problem"].delta1_hat > 0),
        ),
        depends_on=(),
        # the loss (11) of the biased network equals the unbiased loss on lifted data; the
        # lifted-data facts (unit norm, δ1, δ2 ≤ α) are steps of their own
        statement=lambda: sp.Le(sp.Abs(Lb - Ll), tol * sp.Max(1, Ll)),
        bind=_bind,
        steps=(
            Step("section21.network", "Sec. 2.1, (10)",
                 r"g(W, b, x) = \sum_{r=1}^m a_r \sigma(\alpha w_r^T x + \beta b_r)",
                 _derive_network, ("k_positive",)),
            Step("section21.loss", "Sec. 2.1, (11)",
                 r"L(W, b) := \frac12\sum_i (g(W,b,x_i) - y_i)^2 + \frac12\sum_i\Big\|\frac1\alpha "
                 r"V_i^T\nabla_x g(W,b,x_i) - \frac{h_i}{\alpha}\Big\|_2^2",
                 _derive_loss, ("k_positive",)),
            Step("section21.bias-dim", "Sec. 2.1, (11)",
                 r"\min_{W \in \mathbb{R}^{m\times d},\ b \in \mathbb{R}^d} L(W, b)",
                 _derive_bias_dim, ("k_positive",)),
            Step("section21.gradient", "Sec. 2.1, (12)",
                 r"\frac{dw_r}{dt} = -\frac{\partial L(W(t))}{\partial w_r},\ "
                 r"\frac{db_r}{dt} = -\frac{\partial L(W(t))}{\partial b_r}",
                 _derive_gradient, ("k_positive",)),
            Step("section21.init", "Sec. 2.1, Theorem 2 (initialisation)",
                 r"w_r \sim \mathcal{N}(0, I_d),\ b_r \sim \mathcal{N}(0, 1)",
                 _derive_init, ()),
            Step("section21.unit", "Sec. 2.1 (α, β below (10))",
                 r"\alpha = 1/(2k),\ \beta = \sqrt{1 - \alpha^2}", _derive_unit, ("k_positive",)),
            Step("section21.delta1", "Sec. 2.1, Theorem 2",
                 r"\delta = \min(\alpha\hat\delta_1, 2\beta)", _derive_delta1,
                 ("k_positive", "separation")),
            Step("section21.delta2", "Sec. 2.1 / Sec. 2.2 (condition (8) not needed with bias)",
                 r"1 - k\delta_2 \ge \tfrac12 \text{ for the lifted data}", _derive_delta2,
                 ("k_positive",)),
        ),
        check=_check,
        instances=biased_instances,
        example=biased_example,
    )
