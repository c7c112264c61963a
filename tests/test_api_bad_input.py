"""One table of bad API input: each case calls a public function and must raise a
ProblemError (a ValueError) whose one-line message names the argument (with the index where
there is one) and the rule.  A coverage test checks that every public function of
``proofkit`` and ``proofkit.flow`` appears in the table, or is exempt for a stated reason.

Decisions this table pins down: nested lists of real numbers are *accepted* wherever an
array is (tested below); complex, boolean, text and object arrays are refused, never cast;
seeds are integers >= 0 or numpy Generators; float32 data is checked with float32
tolerances.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import proofkit as pk
import proofkit.flow as fl
from proofkit import precision
from proofkit.arguments import MAX_DPS, MAX_STEPS
from proofkit.backend import tolerance
from proofkit.errors import ArgumentError

P = pk.random_problem(4, 5, 1, separation=0.2, seed=0)
X, Y, V, H = (np.array(a) for a in P.host())
W, A = pk.init_network(8, 5, seed=0)
WB, BB, AB = pk.init_biased_network(8, 4, seed=0)
PB = pk.random_problem(4, 4, 1, separation=0.2, seed=1)  # d = 4 for the biased network


def _set(a, index, value):
    a = np.array(a, dtype=complex if isinstance(value, complex) else a.dtype)
    a[index] = value
    return a


def _ragged():
    return [[1.0, 0.0, 0.0, 0.0, 0.0], [1.0], *X[2:].tolist()]


# (function name, call, regex the message must match)
CASES = [
    # --- problem data: dtypes, lists, NaN, tolerances --------------------------------------
    ("SobolevProblem", lambda: pk.SobolevProblem(X.astype(complex), Y, V, H),
     r"^x has dtype complex128 \(complex\); it must hold real numbers"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X, Y + 1e-3j, V, H), r"^y has dtype complex"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X.astype(object), Y, V, H),
     r"^x has dtype object \(Python objects\)"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X, np.array(["a"] * 4), V, H),
     r"^y has dtype <U1 \(text\)"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X, Y > 0, V, H), r"^y has dtype bool \(boolean\)"),
    ("SobolevProblem", lambda: pk.SobolevProblem(_ragged(), Y, V, H), r"^x is ragged or not numeric"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X, Y, V, None), r"^h is None"),
    ("SobolevProblem", lambda: pk.SobolevProblem(_set(X, (1, 2), math.nan), Y, V, H),
     r"^x\[1, 2\] is nan; entries must be finite"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X, Y, V, H, tol=math.nan),
     r"^tol = nan; it must be a finite number > 0"),
    ("SobolevProblem", lambda: pk.SobolevProblem(X, Y, V, H, tol=-1),
     r"^tol = -1; it must be a finite number > 0"),
    ("from_function", lambda: pk.from_function(lambda z: 1j, lambda z: z, X, V),
     r"^f\(x\[0\]\) = 1j; it must be a finite number"),
    ("from_function", lambda: pk.from_function(lambda z: 0.0, lambda z: z + 1j, X, V),
     r"^grad\(x\[0\]\) has dtype complex128"),
    ("from_function", lambda: pk.from_function(0.0, lambda z: z, X, V),
     r"^f is a float; it must be a callable"),
    ("from_function", lambda: pk.from_function(lambda z: 0.0, lambda z: z, X.astype(complex), V),
     r"^x has dtype complex"),
    # --- seeds, sizes and options of the constructors -------------------------------------
    ("random_problem", lambda: pk.random_problem(3, 4, 1, seed=-1),
     r"^seed = -1; it must be an integer >= 0 or a numpy\.random\.Generator"),
    ("random_problem", lambda: pk.random_problem(3, 4, 1, seed="7"), r"^seed = '7'; it must be an integer"),
    ("random_problem", lambda: pk.random_problem(3, 4, 1, seed=1.5), r"^seed = 1\.5; it must be an integer"),
    ("random_problem", lambda: pk.random_problem(3, 4, 1, seed=None), r"^seed = None; it must be an integer"),
    ("random_problem", lambda: pk.random_problem(3, 4, 1, seed=True), r"^seed = True; it must be an integer"),
    ("random_problem", lambda: pk.random_problem(3, 0, 0), r"^d = 0; it must be an integer >= 1"),
    ("random_problem", lambda: pk.random_problem(3, 4, 1, separation=math.nan),
     r"^separation = nan; it must be a finite number in \[0, 2\]"),
    ("random_problem", lambda: pk.random_problem(3, 4, 1, assumption=3),
     r"^assumption = 3; it must be one of 1, 2"),
    ("lift_bias", lambda: pk.lift_bias(X), r"^problem is a ndarray; it must be a SobolevProblem"),
    ("lift_bias", lambda: pk.lift_bias(P, math.nan), r"^alpha = nan; Section 2\.1 needs alpha in \(0, 1\)"),
    ("init_network", lambda: pk.init_network(0, 5), r"^m = 0; the width must be an integer >= 1"),
    ("init_network", lambda: pk.init_network(4, 0), r"^d = 0; it must be an integer >= 1"),
    ("init_network", lambda: pk.init_network(4, 5, seed=-2), r"^seed = -2; it must be an integer >= 0"),
    ("init_network", lambda: pk.init_network(4, 5, seed="x"), r"^seed = 'x'; it must be an integer >= 0"),
    ("init_biased_network", lambda: pk.init_biased_network(4, 0), r"^d = 0; it must be an integer >= 1"),
    # --- weights: shapes, lengths, dtypes, NaN/inf with their index ------------------------
    ("forward", lambda: pk.forward(P, _set(W, (3, 1), math.nan), A),
     r"^W\[3, 1\] is nan; entries must be finite"),
    ("forward", lambda: pk.forward(P, W, _set(A, 2, math.inf)), r"^a\[2\] is inf; entries must be finite"),
    ("forward", lambda: pk.forward(P, W, A[:7]),
     r"^a has length 7; it must have length m = 8 \(one output weight per row of W\)"),
    ("forward", lambda: pk.forward(P, W[:, :4], A), r"^W has shape \(8, 4\); it must be \(m, d\) with d = 5"),
    ("forward", lambda: pk.forward(P, W[:0], A[:0]), r"^W has shape \(0, 5\); the width m must be >= 1"),
    ("forward", lambda: pk.forward(P, W[0], A), r"^W has shape \(5,\); it must be \(m, d\)"),
    ("forward", lambda: pk.forward(P, W.astype(complex), A), r"^W has dtype complex128 \(complex\)"),
    ("forward", lambda: pk.forward(P, "W", A), r"^W is a str; it must be an array of real numbers"),
    ("forward", lambda: pk.forward(X, W, A), r"^problem is a ndarray; it must be a SobolevProblem"),
    ("directional_derivatives", lambda: pk.directional_derivatives(P, W, A[:3]), r"^a has length 3"),
    ("residuals", lambda: pk.residuals(P, _set(W, (0, 0), -math.inf), A), r"^W\[0, 0\] is -inf"),
    ("sobolev_loss", lambda: pk.sobolev_loss(P, W, A.astype(object)), r"^a has dtype object"),
    ("loss_gradient", lambda: pk.loss_gradient(P, W, _set(A, 5, math.nan)), r"^a\[5\] is nan"),
    ("loss_and_gradient", lambda: pk.loss_and_gradient(P, W[:, :3], A), r"^W has shape \(8, 3\)"),
    ("activation_pattern", lambda: pk.activation_pattern(P, _set(W, (7, 4), math.nan)), r"^W\[7, 4\] is nan"),
    ("residual_vector", lambda: pk.residual_vector(np.zeros(4), np.zeros((3, 1))),
     r"^S has shape \(3, 1\); it must be \(n, k\) with n = 4"),
    ("biased_forward", lambda: pk.biased_forward(PB, WB, BB[:7], AB),
     r"^b has length 7; it must have length m = 8 \(one bias per row of W\)"),
    ("biased_directional_derivatives", lambda: pk.biased_directional_derivatives(
        PB, WB, _set(BB, 1, math.nan), AB), r"^b\[1\] is nan"),
    ("biased_residuals", lambda: pk.biased_residuals(PB, WB, BB, AB, alpha=2.0),
     r"^alpha = 2\.0; Section 2\.1 needs alpha in \(0, 1\)"),
    ("biased_loss", lambda: pk.biased_loss(PB, WB, BB, AB + 1j), r"^a has dtype complex"),
    ("biased_loss_gradient", lambda: pk.biased_loss_gradient(PB, W, BB, AB), r"^W has shape \(8, 5\)"),
    ("biased_loss_and_gradient", lambda: pk.biased_loss_and_gradient(PB, WB, BB, AB[:1]),
     r"^a has length 1"),
    # --- kernels ---------------------------------------------------------------------------
    ("empirical_kernel", lambda: pk.empirical_kernel(P, _set(W, (2, 2), math.nan)), r"^W\[2, 2\] is nan"),
    ("empirical_kernel", lambda: pk.empirical_kernel(P, W[:0]),  # m = 0 gave a NaN kernel
     r"^W has shape \(0, 5\); the width m must be >= 1"),
    ("empirical_kernel", lambda: pk.empirical_kernel(P, W, A, order="blocks"),
     r"^order = 'blocks'; it must be one of 'paper', 'hat'"),
    ("naive_empirical_kernel", lambda: pk.naive_empirical_kernel(P, W, A[:2]), r"^a has length 2"),
    ("expected_pattern_kernel", lambda: pk.expected_pattern_kernel(None), r"^problem is a NoneType"),
    ("h_infinity", lambda: pk.h_infinity(P, order=1), r"^order = 1; it must be one of"),
    ("h_infinity_monte_carlo", lambda: pk.h_infinity_monte_carlo(P, 0),
     r"^samples = 0; it must be an integer >= 1"),
    ("h_infinity_monte_carlo", lambda: pk.h_infinity_monte_carlo(P, 10, seed=-3), r"^seed = -3"),
    ("lambda_min", lambda: pk.lambda_min(np.eye(2) * 1j), r"^H has dtype complex"),
    ("lambda_min", lambda: pk.lambda_min(np.zeros((2, 3))), r"^H has shape \(2, 3\); it must be a square"),
    ("lambda_min", lambda: pk.lambda_min([[1.0, math.nan], [math.nan, 1.0]]), r"^H\[0, 1\] is nan"),
    ("lambda_star", lambda: pk.lambda_star("P"), r"^problem is a str; it must be a SobolevProblem"),
    # --- backend ---------------------------------------------------------------------------
    ("tolerance", lambda: pk.tolerance("int64"), r"^dtype = 'int64'; it must be a real floating dtype"),
    ("tolerance", lambda: pk.tolerance(np.float64, math.nan),
     r"^factor = nan; it must be a finite number > 0"),
    ("get_namespace", lambda: pk.get_namespace("jax"),
     r"^name: backend must be 'numpy' or 'cupy', got 'jax'"),
    ("namespace", lambda: pk.namespace("abc"), r"^arrays: .*supported namespace"),
    # --- flows: times, steps, tolerances, options ------------------------------------------
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=math.nan),
     r"^t_max = nan; it must be a finite number > 0"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=math.inf),
     r"^t_max = inf; it must be a finite number > 0"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=0), r"^t_max = 0; it must be a finite number > 0"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=1.0, eta=0.0),
     r"^eta = 0\.0; it must be a finite number > 0"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=1.0, eta=math.nan), r"^eta = nan; it must be a finite"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=1e12, eta=0.1),
     rf"^t_max/eta = 1e\+12/0\.1 needs [\d,]+ GD steps; at most {MAX_STEPS:,} are allowed"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=1.0, rows=0), r"^rows = 0; it must be an integer >= 1"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), integrator="ode", t_max=1.0, rtol=-1),
     r"^rtol = -1; it must be a finite number > 0"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), integrator="ode", t_max=1.0, atol=math.nan), r"^atol = nan"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=1.0, max_events=0),
     r"^max_events = 0; it must be an integer >= 1"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), integrator="euler", t_max=1.0),
     r"^integrator = 'euler'; it must be one of 'gd', 'ode'"),
    ("run_flow", lambda: fl.run_flow(P, (W, A), t_max=1.0, times=[0.5, -1.0]),
     r"^times\[1\] = -1\.0; recording times must be >= 0"),
    ("run_flow", lambda: fl.run_flow(P, (W,), t_max=1.0),
     r"^net is 1 arrays; bias=False needs 2 arrays \(W, a\)"),
    ("run_flow", lambda: fl.run_flow(P, (_set(W, (4, 0), math.nan), A), t_max=1.0), r"^W\[4, 0\] is nan"),
    ("run_flow", lambda: fl.run_flow(P, None, t_max=1.0, seed=None),
     r"^seed = None; it must be an integer >= 0"),
    ("run_flow", lambda: fl.run_flow(P, None, t_max=1.0, seed=-1), r"^seed = -1"),
    ("gd_flow", lambda: fl.gd_flow(P, (W, A), t_max=1.0, eta=math.nan), r"^eta = nan"),
    ("ode_flow", lambda: fl.ode_flow(P, (W, A), t_max=1.0, method="Euler"),
     r"^method = 'Euler'; it must be one of"),
    ("exact_flow", lambda: fl.exact_flow(P, (W, A), t_max=1.0, sliding="x"),
     r"^sliding = 'x'; it must be one of"),
    ("linearized_flow", lambda: fl.linearized_flow(P, (W, A), t_max=1.0, rows=0), r"^rows = 0"),
    ("infinite_width_flow", lambda: fl.infinite_width_flow(P, t_max=1.0, r0=np.zeros(3)),
     r"^r0 has length 3; it must have length N = n\(k\+1\) = 8"),
    ("default_eta", lambda: fl.default_eta(P, (W, A[:3])), r"^a has length 3"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 0, 0),
     r"^m = 0; the width must be an integer >= 1"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 10, -1), r"^seed = -1"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 10, 0, delta=math.nan),
     r"^delta = nan; it must be a finite number in \(0, 1\)"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 10, 0, delta=1.0), r"^delta = 1\.0; it must be"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 10, 0, t_max=-1.0), r"^t_max = -1\.0"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 10, 0, rows=0), r"^rows = 0"),
    ("validate_theorem1", lambda: fl.validate_theorem1(P, 10, 0, integrator="ode", rtol=-1), r"^rtol = -1"),
    ("validate_theorem2", lambda: fl.validate_theorem2(PB, 10, 0, integrator="exact"),
     r"^integrator = 'exact'; Theorem 2's direct run needs 'gd' or 'ode'"),
    ("validate_theorem2", lambda: fl.validate_theorem2(PB, 10, 0, delta=0.0), r"^delta = 0\.0"),
    ("width_required", lambda: fl.width_required(3, 1, 0.0, 1.0, 0.1),
     r"^lam = 0\.0; it must be a finite number > 0"),
    ("width_required", lambda: fl.width_required(3, 1, 0.1, 1.0, math.nan), r"^delta = nan"),
    ("phi1", lambda: fl.phi1(1j, 1.0), r"^lam has dtype complex"),
    # --- high precision and certificates ---------------------------------------------------
    ("expected_pattern_kernel_mp", lambda: precision.expected_pattern_kernel_mp(P, dps=0),
     rf"^dps = 0; it must be an integer >= 1 and <= {MAX_DPS:,}"),
    ("h_infinity_mp", lambda: precision.h_infinity_mp(P, 10**8), r"^dps = 100000000; it must be"),
    ("lambda_min_mp", lambda: precision.lambda_min_mp(np.zeros((2, 3))), r"^H has shape \(2, 3\)"),
    ("certified_lambda_star", lambda: precision.certified_lambda_star(P, prec=10), r"^prec = 10; it must be"),
    ("certified_lambda_min_lower", lambda: precision.certified_lambda_min_lower(np.eye(2) + 0j),
     r"^H has dtype complex"),
    # --- the infinite-width limit (issue 10) ----------------------------------------------
    ("crossing_drift", lambda: pk.crossing_drift("x"), r"^problem is a str; it must be a SobolevProblem"),
    ("crossing_drift", lambda: pk.crossing_drift(P, order=1), r"^order = 1; it must be one of"),
    ("crossing_drift", lambda: pk.crossing_drift(pk.SobolevProblem(np.vstack([X[:1], X[:1]]), Y[:2],
                                                                   V[:2], H[:2])),
     r"are parallel or antipodal"),
    ("limit_generator", lambda: pk.limit_generator(P, order="bad"), r"^order = 'bad'; it must be"),
    ("limit_flow", lambda: fl.limit_flow(P, (W, A), t_max=math.nan), r"^t_max = nan; it must be"),
    ("limit_flow", lambda: fl.limit_flow(P, (W, A), t_max=1.0, model="quadratic"),
     r"^model = 'quadratic'; it must be one of"),
    ("limit_flow", lambda: fl.limit_flow(P, (W[:, :3], A), t_max=1.0), r"W"),
    ("crossing_flux", lambda: fl.crossing_flux(P, (W, A), t=-1.0, eta=0.01), r"^t = -1"),
    ("crossing_flux", lambda: fl.crossing_flux(P, (W, A), t=1.0, eta=math.nan), r"^eta = nan"),
    ("crossing_flux", lambda: fl.crossing_flux(P, (W, A), t=1e6, eta=1e-6), r"^t/eta = "),
    # --- counterexample files ---------------------------------------------------------------
    ("load_counterexample", lambda: pk.load_counterexample("/nonexistent/ce.json"),
     r"^cannot read counterexample file"),
    ("counterexample_instance", lambda: pk.counterexample_instance("/nonexistent/ce.json"),
     r"^cannot read counterexample file"),
]

# public names that take no user data or are classes/records built by proofkit itself
EXEMPT = {
    "BiasedNetwork", "Network", "ProblemError", "__version__",  # classes and a string
    "default_dtype",  # optional namespace only; returns float64
    "to_numpy",  # copies any array it is given; no rule to break
    "INTEGRATORS", "Event", "Trajectory",  # a tuple and records built by the integrators
}


@pytest.mark.parametrize(("name", "call", "pattern"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_problem_error_naming_argument_and_rule(name, call, pattern):
    with pytest.raises(pk.ProblemError, match=pattern) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert "\n" not in str(info.value), "one line"


def test_every_public_function_is_in_the_table():
    exported = set(pk.__all__) | set(fl.__all__)
    covered = {c[0] for c in CASES}
    missing = exported - covered - EXEMPT
    assert not missing, f"public functions with no bad-input case: {sorted(missing)}"


def test_argument_errors_are_problem_errors_and_input_errors():
    assert issubclass(ArgumentError, pk.ProblemError) and issubclass(ArgumentError, ValueError)
    from proofkit.errors import InputError

    assert issubclass(ArgumentError, InputError)  # what run_flow raised before


# ---------------------------------------------------------------------------------------
# what is accepted: array-likes of numbers, ints >= 0 and Generators as seeds, float32
# ---------------------------------------------------------------------------------------
def test_lists_of_numbers_are_accepted_and_agree_with_arrays():
    q = pk.SobolevProblem(X.tolist(), Y.tolist(), V.tolist(), H.tolist())
    assert all(np.array_equal(a, b) for a, b in zip(q.host(), P.host(), strict=True))
    assert np.array_equal(pk.forward(P, W.tolist(), A.tolist()), pk.forward(P, W, A))
    Wi = np.round(W * 4).astype(int)  # integers become float64
    assert np.array_equal(pk.residuals(P, Wi, A)[0], pk.residuals(P, Wi.astype(float), A)[0])


def test_seeds_accept_non_negative_ints_and_generators():
    a = pk.init_network(3, 2, seed=np.int64(5))
    b = pk.init_network(3, 2, seed=np.random.default_rng(5))
    assert np.array_equal(a.W, b.W)
    assert pk.random_problem(2, 3, 0, seed=0).n == 2


def test_float32_unit_data_is_accepted_with_float32_tolerances():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 6))
    x32 = (x / np.linalg.norm(x, axis=1)[:, None]).astype(np.float32)
    V32 = np.zeros((40, 6, 0), dtype=np.float32)
    y32, h32 = np.zeros(40, dtype=np.float32), np.zeros((40, 0), dtype=np.float32)
    off = np.abs(np.linalg.norm(x32.astype(np.float64), axis=1) - 1).max()
    assert off > tolerance(np.float64, power=0.5)  # float64's tolerance would refuse these rows
    with pytest.raises(pk.ProblemError, match=r"x\[\d+\] has norm .*unit rows"):
        pk.SobolevProblem(x32, y32, V32, h32, tol=tolerance(np.float64, power=0.5))
    p = pk.SobolevProblem(x32, y32, V32, h32)
    assert p.tol == tolerance(np.float32, power=0.5) and p.x.dtype == np.float64
    assert off <= p.tol
    bad = x32.copy()
    bad[7] *= np.float32(1.01)  # a truly non-unit row is still refused
    with pytest.raises(pk.ProblemError, match=r"^x\[7\] has norm 1\.0099.*Assumption 1 needs unit rows"):
        pk.SobolevProblem(bad, y32, V32, h32)


def test_float32_frames_are_checked_with_float32_tolerances():
    p = pk.random_problem(5, 6, 2, seed=4)
    x32, y32, V32, h32 = (a.astype(np.float32) for a in p.host())
    q = pk.SobolevProblem(x32, y32, V32, h32)
    assert q.k == 2
    V32[3, :, 1] = V32[3, :, 0]
    with pytest.raises(pk.ProblemError, match=r"^V\[3\] has columns 0,1.*orthonormal"):
        pk.SobolevProblem(x32, y32, V32, h32)


def test_default_t_max_needs_a_positive_lambda_star():
    x = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])  # equal points: H∞ singular, λ* = 0
    p = pk.SobolevProblem(x, np.array([1.0, -1.0]), np.zeros((2, 3, 0)), np.zeros((2, 0)))
    with pytest.warns(pk.errors.RoundingWarning), \
            pytest.raises(pk.ProblemError, match=r"^t_max = None defaults to 10/λ\*, but λ\* = "):
        fl.validate_theorem1(p, 10, 0)
