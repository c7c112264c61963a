"""Theorem 1/2 validation reports and the flow/sweep command line."""

import json
import math

import numpy as np
import pytest

from proofkit.cli import main
from proofkit.flow import run_flow, validate_theorem1, validate_theorem2
from proofkit.kernels import h_infinity, lambda_min
from proofkit.network import biased_residuals, init_biased_network, init_network, residuals
from proofkit.problem import lift_bias, random_problem


@pytest.fixture(scope="module")
def prob():
    return random_problem(4, 5, 2, seed=0)


def test_theorem1_report_recomputed_independently(prob):
    rep = validate_theorem1(prob, 100, 0, integrator="gd", t_max=3.0)
    json.dumps(rep)
    lam = lambda_min(h_infinity(prob))
    assert math.isclose(rep["lambda_star"], lam, rel_tol=1e-12)
    W, a = init_network(100, 5, seed=0)
    e, S = residuals(prob, W, a)
    r0 = np.linalg.norm(e) + np.linalg.norm(S)
    bound3 = (2 * math.sqrt(prob.n * prob.k) + prob.gamma) / math.sqrt(0.1)
    assert math.isclose(rep["checks"]["lemma3"]["worst_ratio"], r0 / bound3, rel_tol=1e-12)
    R = 4 / lam * math.sqrt(prob.k * prob.n / 100) * r0
    assert math.isclose(rep["checks"]["lemma4"]["R"], R, rel_tol=1e-12)
    # Theorem 1 at the final time, from network.residuals on the final weights
    tr = run_flow(prob, (W, a), integrator="gd", t_max=3.0, times=[3.0])
    e1, S1 = residuals(prob, tr.W[-1], a)
    ratio = (e1 @ e1 + np.sum(S1 * S1)) / (math.exp(-lam * 3.0) * (e @ e + np.sum(S * S)))
    assert rep["checks"]["theorem1"]["worst_ratio"] >= ratio * (1 - 1e-12)
    for c in rep["checks"].values():
        assert c["holds"] == (c["worst_ratio"] <= 1 + 1e-12) or c is rep["checks"]["tau0"]
    assert rep["width_required"]["theorem1"] >= rep["width_required"]["lemma2_lemma4"]


@pytest.mark.parametrize("integrator", ["gd", "ode"])
def test_theorem2_direct_agrees_with_lifted(prob, integrator):
    kw = {"t_max": 0.5} if integrator == "ode" else {"t_max": 2.0}
    rep = validate_theorem2(prob, 60, 1, integrator=integrator, **kw)
    json.dumps(rep)
    assert rep["agreement"]["agree"]
    assert rep["agreement"]["max_abs_residual_diff"] <= rep["agreement"]["tolerance"]
    # independent: Theorem 2's residuals of the biased net equal the lifted residuals at t=0
    W, b, a = init_biased_network(60, 5, seed=1)
    e, S = biased_residuals(prob, W, b, a)
    el, Sl = residuals(lift_bias(prob), np.column_stack([W, b]), a)
    assert np.allclose(e, el, atol=1e-13) and np.allclose(S, Sl, atol=1e-13)
    assert math.isclose(rep["lambda_star"], lambda_min(h_infinity(lift_bias(prob))),
                        rel_tol=1e-12)


def test_cli_flow_json_has_summary_and_every_check(capsys, tmp_path):
    rc = main(["flow", "--m", "200", "--t-max", "2", "--json", "--out", str(tmp_path)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["checks"]) == {"theorem1", "theorem1_early", "lemma2", "lemma3", "lemma4", "tau0"}
    assert all("worst_ratio" in c and "time_of_worst" in c for c in out["checks"].values())
    assert out["trajectory"]["m"] == 200 and out["trajectory"]["integrator"] == "gd"
    assert json.loads((tmp_path / "flow.json").read_text())["checks"] == out["checks"]


def test_cli_flow_bias_and_exact(capsys):
    assert main(["flow", "--m", "50", "--t-max", "1", "--bias", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["theorem"] == 2 and out["agreement"]["agree"]
    assert main(["flow", "--m", "50", "--t-max", "0.5", "--integrator", "exact"]) == 0
    assert "Theorem 1" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["flow", "--m", "0"], ["flow", "--t-max", "-1"], ["flow", "--eta", "nan"],
    ["flow", "--n", "0"], ["flow", "--bias", "--integrator", "exact"],
    ["sweep", "--widths", "10,x"], ["flow", "--delta", "2"],
])
def test_cli_bad_input_exit_2_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("proofkit: error:") and err.count("\n") == 1


def test_cli_sweep_writes_table_and_figures(capsys, tmp_path):
    rc = main(["sweep", "--widths", "50,200", "--seeds", "0", "--t-max", "1", "--quiet",
               "--json", "--out", str(tmp_path)])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert [b["m"] for b in out["by_width"]] == [50, 200]
    assert math.isfinite(out["slopes"]["max_weight_move_vs_m"])
    for name in ("sweep.json", "loss_vs_bound.png", "weight_move_vs_m.png",
                 "kernel_drift_vs_m.png", "pattern_changes_vs_m.png"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.slow
def test_cli_flow_at_width_1e5_is_fast_and_theorem1_holds(capsys):
    import time

    start = time.perf_counter()
    assert main(["flow", "--m", "100000", "--json"]) == 0
    wall = time.perf_counter() - start
    out = json.loads(capsys.readouterr().out)
    assert wall < 60, wall
    assert out["checks"]["theorem1"]["holds"] and out["checks"]["tau0"]["holds"]
