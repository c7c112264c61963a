"""Section 3.2: the kernel stays close to H(0) until τ0, hence τ0 = ∞ (proof of Theorem 1).

Every display of Section 3.2 is a step.  Findings (each decided by the step's computation):

- Entrywise bounds: the |x_iᵀx_j| ≤ 1 factor for A is right; for Bᵀ the block x_iᵀV_j has
  ‖V_jᵀx_i‖₂ ≤ 1 (not √k) and for C ‖V_iᵀV_j‖_F ≤ √k (not k), both sharp: ``loose`` for k ≥ 2.
- P(E_ir) = erf(R/√2) ≤ 2R/√(2π) and the expectation bound 4R/√(2π) + 2δ follow, but only for
  a radius R that does not depend on the initialisation; R of Lemma 4 is random.  With the
  deterministic R̄ = (4/λ*)√(kn/m)(2√(nk) + γ)/√δ of Lemma 3 (an extra failure event) they hold:
  ``gap`` for section32.radius, inherited by section32.prob and section32.expectation.
- Markov: from E[Σ_ij |ΔA_ij|] ≤ n²(4R/√(2π) + 2δ) and failure probability δ, SymPy solves
  t = 4n²R/(√(2π)δ) + 2n², not + 2n²/m (and for Bᵀ, C the constants carry √k, k): ``error``.
  The 2n² does not vanish with m, so the displayed route cannot reach ‖H(τ0) − H(0)‖_F < λ*/4
  (λ* ≤ 1/2).  A repair: apply Markov to Z = (1/m)Σ_r (1{E_ir} + 1{E_jr}) only and intersect
  with the Lemma 4 event; then ‖A(τ0) − A(0)‖_F ≤ 4n²R̄/(√(2π)δ) w.p. ≥ 1 − 2δ, no additive term.
- Combination: 4(1 + 2√k + k) = 4(1 + √k)² ≤ 16k for k ≥ 1 (equality at k = 1): ``loose`` for
  k ≥ 2 (and false for k = 0).
- O(·): substituting R and Lemma 3 gives δ^{-3/2}, not δ^{-2}; with δ^{-3/2} the final width
  δ³ follows (with δ^{-2} it would be δ⁴): ``typo``.  Width: m = Ω(n⁶k⁴ max(1, γ)²/(λ*⁴δ³));
  the printed γ² must be max(1, γ)² (the 2√(nk) of Lemma 3 does not vanish with γ; at γ = 0
  the printed width is 0): ``gap``.
- Failure events: Lemma 2, Lemma 3 and one Markov step (its three displays bound multiples of
  one random variable) add up to 3δ, not δ: ``gap`` (repair: rescale δ → δ/3; the width
  changes by the constant 27).
- τ0: H(t) is piecewise constant and jumps at τ0; if a neuron switches on there, W(τ0) is
  still in B0 and the bound at τ0 contradicts nothing: ``gap`` (repair: argue at t ↓ τ0).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from hypothesis import strategies as st

from lemmas._extra_steps import derive_tau0
from lemmas._section32_math import (
    _R,
    _dl,
    _k,
    _m,
    _n,
    kernel_drift,
    paper_bound,
    perturb,
)
from lemmas._section32_steps import (
    _derive_big_o,
    _derive_combine,
    _derive_entry,
    _derive_entry_A,
    _derive_expectation,
    _derive_failures,
    _derive_flip,
    _derive_l1,
    _derive_markov,
    _derive_prob,
    _derive_radius,
    _derive_width,
    _inst_parts,
)
from proofkit.claims import Check, Claim, Premise, Step, claim
from proofkit.evidence import frequency_check
from proofkit.network import init_network
from proofkit.problem import random_problem
from proofkit.strategies import sobolev_problems


def _single(inst):
    p, W0, Wt = _inst_parts(inst)
    m = W0.shape[0]
    return kernel_drift(p, W0, Wt), paper_bound(p.n, p.k, m, float(inst["R"]), float(inst["delta"]))


def _check(inst, dps: int) -> Check:
    p, m, R, delta = inst["problem"], int(inst["m"]), float(inst["R"]), float(inst["delta"])
    seed = int(inst.get("seed", 0))
    trials = int(inst.get("trials", 100))
    x = p.host()[0]
    fails = 0
    worst = 0.0
    for s in range(trials):
        W0, _ = init_network(m, p.d, seed=seed * 7919 + s)
        drift = kernel_drift(p, W0, perturb(W0, x, R))
        fails += drift > paper_bound(p.n, p.k, m, R, delta)
        worst = max(worst, drift)
    del dps  # the bound involves no rounding-sensitive quantity; float64 suffices
    return frequency_check(
        fails, trials, delta,
        detail=f"‖H(τ0) − H(0)‖_F ≤ 16n²kR/(√(2π)δ) + 8n²/m over {trials} initialisations with "
        f"an adversarial W(τ0) at radius R = {R:g}: {fails} failures; largest drift {worst:.4g} vs "
        f"bound {paper_bound(p.n, p.k, m, R, delta):.4g}",
        extra={"largest_drift": worst, "bound": paper_bound(p.n, p.k, m, R, delta)})


def _instance(problem, m: int, seed: int, R: float, delta: float):
    W0, a = init_network(m, problem.d, seed=seed)
    return {"problem": problem, "W0": W0, "a": a, "m": m, "seed": seed, "R": R,
            "delta": delta, "trials": 30}


def _instances(*, drop: str | None = None):
    """Instances; ``drop="k_positive"`` draws k = 0 problems (the 16k bound is then 8n²/m)."""
    k = (0, 0) if drop == "k_positive" else (1, 3)
    probs = sobolev_problems(n=(2, 4), d=(3, 5), k=k, separation=0.05)
    return st.builds(_instance, probs, st.integers(10, 80), st.integers(0, 2**31 - 1),
                     st.floats(1e-3, 0.5), st.floats(0.01, 0.5))


def _example(*, n: int, d: int, k: int, m: int = 200, seed: int = 0):
    p = random_problem(max(n, 2), d, max(k, 1), separation=0.1, seed=seed)
    inst = _instance(p, m, seed, 0.05, 0.1)
    inst["trials"] = 100
    return inst


@claim
def section32() -> Claim:
    drift = sp.Symbol("H_drift_F", nonnegative=True)
    return Claim(
        id="section32",
        title="Proof of global convergence: the kernel drift at the escape time τ0",
        location="Sec. 3.2",
        kind="steps",
        premises=(
            Premise("unit", "‖x_i‖ = 1 (so w_r(0)ᵀx_i ~ N(0, 1))", lambda inst: bool(np.allclose(
                np.linalg.norm(inst["problem"].host()[0], axis=1), 1.0)), droppable=False,
                why="instances carry a SobolevProblem, whose validation rejects non-unit rows "
                "x_i (ProblemError); the premise is Assumption 1 itself, not an extra hypothesis "
                "of Sec. 3.2 that data could violate"),
            Premise("k_positive", "k ≥ 1 (the 16k combination needs (1 + √k)² ≤ 4k)",
                    lambda inst: inst["problem"].k >= 1),
            Premise("delta_range", "0 < δ < 1 (δ is the failure probability of the Markov "
                    "steps; the refinement must not move it outside)",
                    lambda inst: 0.0 < float(inst["delta"]) < 1.0, droppable=False,
                    why="δ is a failure probability (Markov at level δ, 'with probability "
                    "1 − δ'); outside (0, 1) the statement has no meaning and frequency_check "
                    "cannot judge it"),
        ),
        depends_on=("lemma3", "lemma4"),
        statement=lambda: sp.Le(drift, 16 * _n**2 * _k * _R / (sp.sqrt(2 * sp.pi) * _dl)
                                + 8 * _n**2 / _m),
        bind=lambda inst: {"H_drift_F": _single(inst)[0], "n": inst["problem"].n,
                           "k": inst["problem"].k, "m": int(inst["m"]), "R": float(inst["R"]),
                           "delta": float(inst["delta"])},
        steps=(
            Step("section32.entry-A", "Sec. 3.2, display 1, line 1",
                 r"|[A(\tau_0) - A(0)]_{ij}| \leq \frac{1}{m} \sum_{r=1}^m Q_{ijr}",
                 _derive_entry_A, ("unit",)),
            Step("section32.entry-B", "Sec. 3.2, display 1, line 2",
                 r"\|[B^T(\tau_0) - B^T(0)]_{ij}\|_2 \leq \frac{\sqrt{k}}{m} \sum_{r=1}^m Q_{ijr}",
                 _derive_entry("B"), ("unit",)),
            Step("section32.entry-C", "Sec. 3.2, display 1, line 3",
                 r"\|[C(\tau_0) - C(0)]_{ij}\|_F \leq \frac{k}{m} \sum_{r=1}^m Q_{ijr}",
                 _derive_entry("C"), ("unit",)),
            Step("section32.flip", "Sec. 3.2, display 2",
                 r"\mathbb{1}\{\sigma'(w_r(0)^T x_i) \neq \sigma'(w_r(\tau_0)^T x_i)\} \leq "
                 r"\mathbb{1}\{E_{i,r}\} + \mathbb{1}\{\|w_r(\tau_0) - w_r(0)\| > R\}",
                 _derive_flip, ("unit",)),
            Step("section32.prob", "Sec. 3.2, text before display 3",
                 r"\mathbb{P}(E_{i,r}) \leq \frac{2R}{\sqrt{2\pi}}", _derive_prob, ("unit",),
                 ("section32.radius",)),
            Step("section32.expectation", "Sec. 3.2, display 3",
                 r"\frac{1}{m} \sum_{r=1}^m \mathbb{E}[Q_{ijr}] \leq \ldots \leq "
                 r"\frac{4R}{\sqrt{2\pi}} + 2\delta", _derive_expectation, ("unit",),
                 ("section32.radius",)),
            Step("section32.radius", "Sec. 3.2, definition of E_{i,r} (R of Lemma 4)",
                 r"E_{i,r} = \{|w_r(0)^T x_i| \leq R\},\ R \text{ as in Lemma 4}",
                 _derive_radius, ("unit",)),
            Step("section32.l1", "Sec. 3.2, display 4 (first inequalities)",
                 r"\|A(\tau_0) - A(0)\|_F \leq \sum_{i,j} |[A(\tau_0)]_{ij} - [A(0)]_{ij}|",
                 _derive_l1, ()),
            Step("section32.markov", "Sec. 3.2, display 4 (Markov)",
                 r"\|A(\tau_0) - A(0)\|_F \leq \frac{4n^2}{\sqrt{2\pi}\delta} R + \frac{2n^2}{m}",
                 _derive_markov, ("unit",)),
            Step("section32.combine", "Sec. 3.2, display 5",
                 r"\|H(\tau_0) - H(0)\|_F \leq \frac{16n^2k}{\sqrt{2\pi}\delta} R + \frac{8n^2}{m}",
                 _derive_combine, ("k_positive",)),
            Step("section32.big-o", "Sec. 3.2, display 5 (O)",
                 r"= \mathcal{O}\left(\frac{n^3k^2}{\sqrt{m}\delta^2} \frac{\max(1, \gamma)}"
                 r"{\lambda_*}\right)", _derive_big_o, ("k_positive",)),
            Step("section32.width", "Sec. 3.2, last display / Theorem 1",
                 r"m = \Omega(n^6k^4\gamma^2/(\lambda_*^4\delta^3)) \Rightarrow "
                 r"\|H(\tau_0) - H(0)\|_F < \frac{\lambda_*}{4}", _derive_width, ("k_positive",)),
            Step("section32.failures", "Sec. 3.1–3.2 (probability bookkeeping)",
                 r"\text{with probability } 1 - \delta", _derive_failures, ()),
            Step("section32.tau0", "Sec. 3.2, last line (contradiction at τ0, (15))",
                 r"\|H(\tau_0) - H(0)\|_F < \frac{\lambda_*}{4} \text{ contradicts the "
                 r"definition of } \tau_0", derive_tau0, ()),
        ),
        check=_check,
        instances=_instances,
        example=_example,
        probabilistic=True,
    )
