"""The crossing drift D and the limit generator G = H∞ + D, checked three independent ways.

(a) the crossing flux counted along finite-width GD (every activation change adds
    −direction·a_r V_iᵀw_r to S_i) against −(D r(0))_S, with a tolerance of 5 standard errors
    of the measured flux (pairs (r, i) cross independently: the root sum of squares of their net
    jumps) plus the drift of r over the short window.  GD, not the exact event-driven flow:
    at m = 2·10⁴ the exact flow stops at its first sliding event after 5–22 crossings
    (~0.2 s each), and the crossings before it exclude the sliding classes whose θ-weighted
    flux is part of the drift; GD realises that flux by chattering;
(b) Monte Carlo of the Gaussian integrals (a thin slab |wᵀx_i| < ε/2 divided by ε, and exact
    conditional sampling of w_⊥) and mpmath quadrature, against the closed form;
(c) finite-width GD against the limit flow over m: tests/test_flow_width.py.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import proofkit as pk
from proofkit.errors import InputError
from proofkit.flow import crossing_flux, run_flow
from proofkit.kernels import hat_to_paper_permutation
from proofkit.limit import drift_vectors, limit_margin
from proofkit.limit_precision import certified_limit_margin, crossing_drift_mp, limit_generator_mp
from proofkit.network import init_network
from proofkit.problem import ProblemError, SobolevProblem

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "docs" / "data" / "theorem1_limit-counterexample.json"


def _scaled(p, c):
    x, y, V, h = p.host()
    return SobolevProblem(x, c * y, V, c * h)


def test_structure_and_orderings():
    p = pk.random_problem(4, 5, 2, seed=1)
    D = np.asarray(pk.crossing_drift(p))
    n, k = p.n, p.k
    assert D.shape == (p.N, p.N)
    assert np.all(D[:n] == 0)  # f is continuous: the value rows get no drift
    for i in range(n):  # D_ii = 0 (self term)
        rows = n + i * k + np.arange(k)
        assert np.all(D[np.ix_(rows, [i])] == 0) and np.all(D[np.ix_(rows, rows)] == 0)
    Dh = np.asarray(pk.crossing_drift(p, order="hat"))
    perm = hat_to_paper_permutation(n, k)
    assert np.array_equal(Dh[np.ix_(perm, perm)], D)
    G = np.asarray(pk.limit_generator(p))
    assert np.array_equal(G, np.asarray(pk.h_infinity(p)) + D)
    assert np.abs(G - G.T).max() > 1e-3  # not symmetric
    with pytest.raises(ValueError, match="order"):
        pk.crossing_drift(p, order="nope")


def test_block_is_outer_product_of_the_formula():
    p = pk.random_problem(3, 4, 2, seed=2)
    x, _, V, _ = p.host()
    Dh = np.asarray(pk.crossing_drift(p, order="hat"))
    i, j = 0, 2
    rho = x[i] @ x[j]
    g = (V[i].T @ x[j] - rho * V[i].T @ x[i]) / (2 * math.pi * math.sqrt(1 - rho**2))
    row = np.concatenate([[rho], x[i] @ V[j]])
    s = p.k + 1
    assert np.allclose(Dh[i * s + 1:(i + 1) * s, j * s:(j + 1) * s], np.outer(g, row),
                       rtol=1e-12, atol=1e-14)


def test_k_zero_has_no_drift():
    p = pk.random_problem(4, 3, 0, seed=0)
    assert not np.any(np.asarray(pk.crossing_drift(p)))


def test_parallel_points_are_rejected():
    p = pk.random_problem(3, 4, 1, seed=0)
    x, y, V, h = p.host()
    x = x.copy()
    x[1] = x[0]
    V = V.copy()
    V[1] = V[0]
    with pytest.raises(ProblemError, match=r"x\[0\] and x\[1\]"):
        pk.crossing_drift(SobolevProblem(x, y, V, h))


def test_mpmath_agrees_and_keeps_precision_for_nearly_parallel_points():
    p = pk.random_problem(4, 5, 2, seed=3)
    D = np.asarray(pk.crossing_drift(p))
    Dm = np.array(crossing_drift_mp(p, 40).tolist(), dtype=float)
    assert np.max(np.abs(D - Dm)) <= 1e-14 * np.max(np.abs(D))
    G = np.asarray(pk.limit_generator(p, order="hat"))
    Gm = np.array(limit_generator_mp(p, 30, order="hat").tolist(), dtype=float)
    assert np.max(np.abs(G - Gm)) <= 1e-14
    # a pair 1e-7 apart: √(1 − ρ²) from 1 − (x_iᵀx_j)² would keep ~2 digits
    x, y, V, h = p.host()
    x = x.copy()
    z = x[0] + 1e-7 * np.array([0.0, 1.0, 0.0, 0.0, 0.0])
    x[1] = z / np.linalg.norm(z)
    q = SobolevProblem(x, y, V, h)
    D = np.asarray(pk.crossing_drift(q))
    Dm = np.array(crossing_drift_mp(q, 50).tolist(), dtype=float)
    assert np.max(np.abs(D - Dm)) <= 1e-8 * np.max(np.abs(Dm))


def test_array_api_namespace():
    xs = pytest.importorskip("array_api_strict")
    p = pk.random_problem(4, 5, 2, seed=0)
    x, y, V, h = p.host()
    q = SobolevProblem(xs.asarray(x), xs.asarray(y), xs.asarray(V), xs.asarray(h))
    for order in ("paper", "hat"):
        G = pk.limit_generator(q, order=order)
        assert pk.namespace(G) is pk.namespace(q.x)
        assert np.max(np.abs(pk.to_numpy(G) - np.asarray(pk.limit_generator(p, order=order)))) \
            <= 1e-12


# --- (b) Monte Carlo and quadrature of the Gaussian integrals --------------------------------
def test_slab_monte_carlo_matches_g():
    p = pk.random_problem(3, 4, 2, seed=4)
    x, _, V, _ = p.host()
    g = np.asarray(drift_vectors(p)[0])
    rng = np.random.default_rng(0)
    eps, samples = 0.02, 2_000_000
    w = rng.standard_normal((samples, p.d))
    i = 0
    slab = np.abs(w @ x[i]) < eps / 2
    for j in (1, 2):
        vals = (slab & (w @ x[j] > 0))[:, None] * (w @ V[i]) / eps  # (samples, k)
        est, se = vals.mean(0), vals.std(0) / math.sqrt(samples)
        # slab bias: the density of wᵀx_i varies by O(ε²) across the slab
        assert np.all(np.abs(est - g[i, j]) <= 5 * se + eps**2), (est, g[i, j], se)


def test_conditional_monte_carlo_and_quadrature():
    from lemmas.theorem1_limit import monte_carlo_drift, quadrature_g

    p = pk.random_problem(4, 5, 2, seed=5)
    r = np.random.default_rng(1).standard_normal(p.N)
    mc, se = monte_carlo_drift(p, r, 200_000, seed=2)
    pred = (np.asarray(pk.crossing_drift(p)) @ r)[p.n:].reshape(p.n, p.k)
    assert np.all(np.abs(mc - pred) <= 5 * se), (mc, pred, se)
    g = np.asarray(drift_vectors(p)[0])
    q = quadrature_g(p, 2, 3, dps=25)
    assert max(abs(float(q[l]) - g[2, 3, l]) for l in range(p.k)) <= 1e-14


# --- (a) the crossing flux counted at finite width ------------------------------------------
def _flux_check(m, seeds, t, eta, c=20.0):
    p = _scaled(pk.random_problem(4, 5, 2, seed=0), c)
    D = np.asarray(pk.crossing_drift(p))
    G = np.asarray(pk.limit_generator(p))
    meas, ses, preds, drift = [], [], [], []
    for s in seeds:
        out = crossing_flux(p, init_network(m, p.d, seed=s), t=t, eta=eta)
        r0 = out["r0"]
        meas.append(out["flux"].ravel())
        ses.append(out["flux_se"].ravel())
        preds.append(-(D @ r0)[p.n:])
        # r moves by ~t·G r(0) over the window: the flux changes by up to half of D·that
        drift.append(np.abs(D @ (G @ r0))[p.n:] * t / 2)
    meas, preds = np.mean(meas, 0), np.mean(preds, 0)
    se = np.sqrt(np.sum(np.square(ses), 0)) / len(seeds)
    tol = 5 * se + np.mean(drift, 0)
    return meas, preds, se, tol


def test_crossing_flux_along_gd_matches_the_drift():
    meas, pred, se, tol = _flux_check(20_000, (0, 1), t=0.02, eta=5e-4)
    assert np.all(np.abs(meas - pred) <= tol), (meas, pred, se)
    # and it is not trivially loose: the prediction is several standard errors from zero
    assert np.max(np.abs(pred) / se) > 3


@pytest.mark.slow
def test_crossing_flux_along_gd_matches_the_drift_wide():
    meas, pred, se, tol = _flux_check(100_000, (0, 1, 2, 3), t=0.02, eta=2e-4)
    assert np.all(np.abs(meas - pred) <= tol), (meas, pred, se)
    assert np.max(np.abs(pred) / se) > 8


# --- the limit integrator ---------------------------------------------------------------------
def test_limit_integrator_is_the_exponential_of_g():
    from scipy.linalg import expm

    p = pk.random_problem(4, 5, 2, seed=0)
    net = init_network(300, p.d, seed=0)
    tr = run_flow(p, net, integrator="limit", t_max=2.0, rows=4, model="linear")
    G = np.asarray(pk.limit_generator(p))
    for t, r in zip(tr.times, tr.residual, strict=True):
        assert np.allclose(r, expm(-t * G) @ tr.residual[0], rtol=1e-10, atol=1e-12)
    assert tr.integrator == "limit" and tr.info["model"] == "linear"
    assert tr.summary()["model"] == "linear"
    with pytest.raises(InputError, match="model"):
        run_flow(p, net, integrator="limit", t_max=1.0, model="quadratic")


def test_limit_integrator_defaults_to_the_kinetic_model():
    p = pk.random_problem(4, 5, 2, seed=0)
    net = init_network(300, p.d, seed=0)
    tr = run_flow(p, net, integrator="limit", t_max=1.0, rows=4, seed=3)
    assert tr.info["model"] == "kinetic" and tr.info["seed"] == 3 and not tr.info["edge_hit"]
    from proofkit.flow.kinetic import kinetic_residuals

    R, _ = kinetic_residuals(p, tr.residual[0], tr.times, seed=3)
    assert np.array_equal(R, tr.residual)


def test_cli_flow_limit_json():
    out = subprocess.run([sys.executable, "-m", "proofkit", "flow", "--integrator", "limit",
                          "--limit-model", "linear", "--json", "--rows", "5", "--m", "200"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    rep = json.loads(out.stdout)
    assert rep["trajectory"]["integrator"] == "limit"
    assert rep["trajectory"]["model"] == "linear"
    assert rep["t_max"] == pytest.approx(10 / rep["lambda_star"])
    assert "theorem1_early" in rep["checks"]


# --- Theorem 1 in the limit -------------------------------------------------------------------
def test_margin_positive_on_a_random_instance_is_certified():
    p = pk.random_problem(4, 5, 2, seed=0)
    f = limit_margin(p)
    c = certified_limit_margin(p)
    assert f["margin"] > 0 and c["certified"] and c["sign"] == 1


def test_stored_counterexample_replays_and_carries_the_gd_confirmation():
    from proofkit.counterexample import replay
    from proofkit.instance_io import decode_instance

    data = json.loads(STORED.read_text())
    assert data["claim"] == "theorem1_limit" and not data["check"]["holds"]
    res = replay(STORED)
    assert res.reproduced, res.mismatches
    p = decode_instance(data["instance"])["problem"]
    assert p.satisfies_assumption1()
    c = certified_limit_margin(p)
    assert c["certified"] and c["sign"] == -1
    conf = data["confirmation"]
    assert conf["m"] >= 100_000 and len(conf["runs"]) == 4
    assert {r["seed"] for r in conf["runs"]} == {0, 1} and len({r["eta"] for r in conf["runs"]}) == 2
    assert conf["confirmed"] and all(r["gd_worst_ratio"] > 1 for r in conf["runs"])
    assert all(r["hinf_worst_ratio"] <= 1 + 1e-12 < r["limit_worst_ratio"] for r in conf["runs"])


def test_replay_prints_the_confirmation_command():
    out = subprocess.run([sys.executable, "-m", "proofkit", "replay", str(STORED)],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "reproduced bit for bit" in out.stdout
    assert f"python -m proofkit.flow.confirm {STORED}" in out.stdout


def test_confirm_and_report_commands_reject_bad_input(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text("{}")
    for argv in (["-m", "proofkit.flow.confirm", str(bad)],
                 ["-m", "proofkit.flow.confirm", str(STORED), "--m", "0"],
                 ["-m", "proofkit.flow.limit_report", "--out", str(tmp_path / "o"),
                  "--widths", "10,x"]):
        out = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, (argv, out.stderr)
    assert not (tmp_path / "o").exists()
