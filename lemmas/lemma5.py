"""Lemma 5 (Appendix B, cited from [12]): E[M] ⪰ δ1/(100n²) I under the separation (7).

Findings.

- The statement as printed has three slips: "x_1, …, x_d" should be x_1, …, x_n, "(7) … for
  all i = 1, …, d" should be the pairs i ≠ j in [n], and the right-hand side lacks the
  identity (E[M] ⪰ δ1/(100n²)·I).  The intended form is checked on every instance (float64,
  mpmath and a certified ball-arithmetic bound) and holds: verdict ``typo``.
- For n = 2 SymPy gives the exact smallest eigenvalue arccos(|ρ|)/(2π) ≥ δ1/(2π): the
  constant 1/(100n²) = 1/400 is loose by a factor ≈ 64 there.
- The antipodal half of (7) is necessary: for {e1, −e1, e2, −e2} the points are separated in
  the sense of (13) (δ̂1 = √2) but E[M] is exactly singular (SymPy), because
  σ'(wᵀx) + σ'(−wᵀx) = 1 almost surely.  This is why Theorem 2 needs the 2β of the lifting.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from lemmas._common import problem_example, problem_instances
from lemmas._linalg import certificate, lambda_min
from proofkit.claims import Check, Claim, Context, Outcome, Premise, Step, Verdict, claim
from proofkit.evidence import compare
from proofkit.kernels import expected_pattern_kernel
from proofkit.precision import certified_lambda_min_lower, expected_pattern_kernel_mp, lambda_min_mp
from proofkit.problem import random_problem


def delta1_mp(x: np.ndarray, dps: int, *, antipodal: bool = True):
    """δ1 of (7) (or δ̂1 of (13) when ``antipodal=False``) from the stored points, at ``dps``."""
    n = x.shape[0]
    with mpmath.workdps(dps):
        X = [[mpmath.mpf(float(v)) for v in row] for row in x]
        best = mpmath.inf
        for i in range(n):
            for j in range(i):
                dm = mpmath.sqrt(mpmath.fsum((a - b) ** 2 for a, b in zip(X[i], X[j], strict=True)))
                best = min(best, dm)
                if antipodal:
                    dp = mpmath.sqrt(mpmath.fsum((a + b) ** 2
                                                 for a, b in zip(X[i], X[j], strict=True)))
                    best = min(best, dp)
        return best


def arb_pattern_kernel(problem, *, prec: int = 128):
    """E[M] as an ``arb_mat`` (balls around (π − θ_ij)/(2π), θ_ij by atan2 of differences)."""
    import flint

    from proofkit.angles import arb_orthant_kernel

    with flint.ctx.workprec(prec):
        return flint.arb_mat(arb_orthant_kernel(problem.host()[0], prec=prec))


def _sides(problem, dps: int):
    n = problem.n
    lhs = lambda_min(expected_pattern_kernel(problem))  # singular E[M]: λmin = 0, not an error
    rhs = problem.delta1 / (100 * n * n)
    with mpmath.workdps(dps):
        lhs_mp = lambda_min_mp(expected_pattern_kernel_mp(problem, dps), dps)
        rhs_mp = delta1_mp(problem.host()[0], dps) / (100 * n * n)
    return lhs, rhs, lhs_mp, rhs_mp


def _derive_statement(ctx: Context) -> Outcome:
    problem = ctx.instance["problem"]
    _, _, lhs_mp, rhs_mp = _sides(problem, ctx.dps)
    cert = certified_lambda_min_lower(arb_pattern_kernel(problem))
    proved = cert.certified and cert.lower >= float(rhs_mp) * (1 + 1e-12)
    holds = bool(lhs_mp >= rhs_mp)
    if holds:
        verdict = Verdict.TYPO
        head = "the intended statement holds on this instance"
    else:
        verdict = Verdict.ERROR
        head = "the intended statement FAILS on this instance"
    return Outcome(
        verdict,
        r"x_1,\dots,x_n unit, (7) for all i \ne j \in [n] \Rightarrow "
        r"\mathbb{E}[\mathcal{M}(w)] \succeq \frac{\delta_1}{100 n^2} I_n",
        "Printed: 'x_1, …, x_d', '(7) … for all i = 1, …, d' and '⪰ δ1/(100n²)' without I; the "
        f"intended form is read with n points, pairs i ≠ j and the identity. {head}: λmin(E[M]) = "
        f"{mpmath.nstr(lhs_mp, 12)} (mpmath, {ctx.dps} digits) vs δ1/(100n²) = "
        f"{mpmath.nstr(rhs_mp, 12)}; certified λmin ≥ {cert.lower:.12g} "
        f"({'proved' if proved else 'NOT proved'} ≥ the bound by ball arithmetic).",
        {"lambda_min": float(lhs_mp), "bound": float(rhs_mp), "ratio": float(lhs_mp / rhs_mp),
         "certified_lower": cert.lower, "certified": cert.certified, "proved": proved},
    )


def _derive_attribution(ctx: Context) -> Outcome:
    """Lemma 5's proof is attributed to [12] and not given: what proofkit can earn is
    certified evidence on instances (ball arithmetic), not a proof of the statement."""
    problems = [ctx.instance["problem"]]
    for s in range(max(3, int(6 * ctx.budget))):
        n = 2 + s % 4
        problems.append(random_problem(n, 4, 1, separation=0.05, seed=1000 * ctx.seed + s))
    proved, failed = 0, 0
    worst = math.inf
    for p in problems:
        bound = p.delta1 / (100 * p.n**2)
        cert = certified_lambda_min_lower(arb_pattern_kernel(p))
        proved += bool(cert.certified and cert.lower >= bound * (1 + 1e-12))
        failed += bool(lambda_min(expected_pattern_kernel(p)) < bound * (1 - 1e-9))
        worst = min(worst, cert.lower / bound if bound > 0 else math.inf)
    verdict = (Verdict.ERROR if failed else
               Verdict.EVIDENCE if proved == len(problems) else Verdict.INCONCLUSIVE)
    return Outcome(
        verdict,
        "no proof in the paper: Lemma 5 is cited from [12]",
        "The paper states Lemma 5 with the citation [12] and gives no proof, so no step of an "
        "argument can be re-derived here; the hypotheses as printed (x_1..x_d, (7) for i = 1..d) "
        "also differ from how Proposition 1 uses it (n points, pairs i ≠ j; see "
        "lemma5.statement). What proofkit computed: on "
        f"{len(problems)} instances (the example and {len(problems) - 1} seeded random ones, "
        f"n = 2..5) the bound λmin(E[M]) ≥ δ1/(100n²) was proved by ball arithmetic on "
        f"{proved} and failed on {failed} (smallest certified λmin / bound = {worst:.4g}). "
        "Evidence on instances, not a proof; the n = 2 case is proved in lemma5.n2.",
        {"instances": len(problems), "proved": proved, "failed": failed,
         "smallest_ratio": worst},
    )


def n2_exact() -> tuple[sp.Expr, bool]:
    """SymPy: for n = 2, λmin(E[M]) = arccos(|ρ|)/(2π) and arccos ρ ≥ ‖x_1 − x_2‖ = 2 sin(θ/2)."""
    theta = sp.Symbol("theta", nonnegative=True)
    c = (sp.pi - theta) / (2 * sp.pi)  # off-diagonal for ρ = cos θ
    Mexp = sp.Matrix([[sp.Rational(1, 2), c], [c, sp.Rational(1, 2)]])
    eigs = list(Mexp.eigenvals())
    lam = sp.Min(*[sp.simplify(e) for e in eigs])
    # θ ≥ 2 sin(θ/2) on [0, π]: the difference vanishes at 0 and has derivative 1 − cos(θ/2) ≥ 0
    diff = theta - 2 * sp.sin(theta / 2)
    ok = sp.simplify(diff.subs(theta, 0)) == 0 and sp.simplify(
        sp.diff(diff, theta) - (1 - sp.cos(theta / 2))) == 0
    return lam, bool(ok)


def _derive_n2(ctx: Context) -> Outcome:
    lam, ok = n2_exact()
    theta = sp.Symbol("theta", nonnegative=True)
    target = theta / (2 * sp.pi)
    # For ρ ≥ 0 (θ ≤ π/2) the smaller eigenvalue is θ/(2π); the other branch 1/2 + c ≥ it.
    is_min = sp.simplify(lam.subs(theta, sp.pi / 3) - target.subs(theta, sp.pi / 3)) == 0
    factor = sp.Rational(400) / (2 * sp.pi)
    if not (ok and is_min):
        return Outcome(Verdict.INCONCLUSIVE, str(lam), "SymPy did not confirm the n = 2 case")
    return Outcome(
        Verdict.LOOSE,
        r"n = 2:\ \lambda_{\min}(\mathbb{E}[\mathcal{M}]) = \frac{\arccos|\rho|}{2\pi} "
        r"\ge \frac{\delta_1}{2\pi}",
        f"SymPy: eigenvalues of [[1/2, c], [c, 1/2]] with c = (π − θ)/(2π) give λmin = {lam} "
        "(θ = arccos ρ, ρ ≥ 0 after the sign symmetry of (7)); θ ≥ 2 sin(θ/2) = ‖x_1 − x_2‖ ≥ δ1 "
        f"(zero at 0, derivative 1 − cos(θ/2) ≥ 0). So λmin ≥ δ1/(2π), {float(factor):.1f}× the "
        "paper's δ1/400 at n = 2.",
        {"factor_over_paper_n2": float(factor)},
    )


def antipodal_counterexample() -> tuple[sp.Matrix, sp.Expr, sp.Expr]:
    """{e1, −e1, e2, −e2}: exact E[M], its λmin (SymPy) and δ̂1 of (13)."""
    pts = [sp.Matrix([1, 0]), sp.Matrix([-1, 0]), sp.Matrix([0, 1]), sp.Matrix([0, -1])]
    n = len(pts)
    K = sp.Matrix(n, n, lambda i, j: (sp.pi - sp.acos((pts[i].T * pts[j])[0])) / (2 * sp.pi))
    lam = min(K.eigenvals(), key=lambda e: float(e))
    dhat = min(sp.sqrt(((pts[i] - pts[j]).T * (pts[i] - pts[j]))[0])
               for i in range(n) for j in range(i))
    return K, sp.nsimplify(lam), dhat


def _derive_antipodal(ctx: Context) -> Outcome:
    K, lam, dhat = antipodal_counterexample()
    n = K.shape[0]
    needed = lam == 0 and dhat > 0
    return Outcome(
        Verdict.VERIFIED if needed else Verdict.INCONCLUSIVE,
        r"\{\pm e_1, \pm e_2\}:\ \hat\delta_1 = \sqrt2,\ \lambda_{\min}(\mathbb{E}[\mathcal{M}]) = 0",
        f"SymPy: E[M] = {K.tolist()} has λmin = {lam} while δ̂1 (13) = {dhat} > 0, so the "
        f"'‖x_i + x_j‖' half of (7) cannot be dropped (δ̂1/(100n²) = {sp.nsimplify(dhat / (100 * n**2))}"
        " > 0 = λmin). The premise is necessary as the paper states it.",
        {"lambda_min": float(lam), "delta1_hat": float(dhat)},
    )


def _check(instance, dps: int) -> Check:
    problem = instance["problem"]
    lhs, rhs, lhs_mp, rhs_mp = _sides(problem, dps)
    cert = certificate(lambda: certified_lambda_min_lower(arb_pattern_kernel(problem)))
    return compare(lhs, rhs, relation=">=", lhs_mp=lhs_mp, rhs_mp=rhs_mp, dps=dps,
                   detail="λmin(E[M]) against δ1/(100n²)",
                   extra={"certified_lower": cert.lower, "certified": cert.certified,
                          "certificate": cert.method})


def _bind(inst) -> dict:
    """The values the check decides on (mpmath), so both routes compare the same numbers."""
    p = inst["problem"]
    _, _, lhs_mp, _ = _sides(p, 30)
    return {"lambda_min": lhs_mp, "delta_1": delta1_mp(p.host()[0], 30), "n": p.n}


@claim
def lemma5() -> Claim:
    lam, d1, n = sp.symbols("lambda_min delta_1 n", positive=True)
    return Claim(
        id="lemma5",
        title="E[M] is positive definite under the separation (7) (cited from [12])",
        location="App. B, Lemma 5",
        kind="lemma",
        premises=(
            Premise("unit", "‖x_i‖ = 1", lambda inst: bool(np.allclose(
                np.linalg.norm(inst["problem"].host()[0], axis=1), 1.0)), droppable=False,
                why="instances carry a SobolevProblem, whose validation rejects rows with "
                "|‖x_i‖ − 1| above its tolerance (ProblemError), and E[M] of Definition 3 "
                "depends on the x_i only through their directions, so non-unit points define no "
                "new instance of the lemma"),
            Premise("separation", "(7): min_{i≠j} min(‖x_i − x_j‖, ‖x_i + x_j‖) ≥ δ1 > 0, n ≥ 2",
                    lambda inst: inst["problem"].n >= 2 and inst["problem"].delta1 > 0),
        ),
        depends_on=(),
        statement=lambda: sp.Ge(lam, d1 / (100 * n**2)),
        bind=_bind,
        steps=(
            Step("lemma5.statement", "App. B, Lemma 5 (statement)",
                 r"x_1,\dots,x_d \text{ unit, (7) for } i = 1,\dots,d \Rightarrow "
                 r"\mathbb{E}[\mathcal{M}(w)] \succeq \frac{\delta_1}{100n^2}",
                 _derive_statement, ("unit", "separation")),
            Step("lemma5.n2", "App. B, Lemma 5 (n = 2, exact)",
                 r"\mathbb{E}[\mathcal{M}(w)] \succeq \frac{\delta_1}{100n^2}",
                 _derive_n2, ("unit", "separation")),
            Step("lemma5.antipodal", "App. B, Lemma 5, premise (7)",
                 r"\min_{i\ne j}(\|x_i - x_j\|_2, \|x_i + x_j\|_2) \ge \delta_1",
                 _derive_antipodal, ("separation",)),
            Step("lemma5.attribution", "App. B, Lemma 5 (proof: cited from [12])",
                 r"\text{Lemma 5 ([12])}", _derive_attribution, ("unit", "separation")),
        ),
        check=_check,
        instances=problem_instances(n=(2, 5), d=(2, 5), k=0, separation=0.05),
        example=problem_example(min_n=2, separation=0.1),
    )
