"""The fused GD step of run_flow: same trajectory as the plain step, no per-step allocation."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from proofkit.errors import InputError
from proofkit.flow import run_flow
from proofkit.flow.fused import FusedGD, default_block
from proofkit.flow.record import Recorder
from proofkit.network import init_network, loss_and_gradient
from proofkit.problem import random_problem

ROW_FIELDS = ("loss", "e_norm2", "S_norm2", "lambda_min_H", "kernel_drift_F", "max_weight_move")


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-300))


def _plain_gd(p, W, a, eta, steps, record):
    """The textbook loop: W ← W − η ∂L/∂W from loss_and_gradient, rows by the Recorder."""
    rec = Recorder(p, W, a)
    Ws = {}
    for j in range(steps + 1):
        _, e, S, g = loss_and_gradient(p, W, a)
        if j in record:
            rec.measure(j * eta, W, e, S)
            Ws[j] = W.copy()
        if j < steps:
            W = W - eta * g
    return rec.build("gd"), Ws


@pytest.fixture(scope="module")
def instance():
    p = random_problem(6, 7, 2, seed=11)
    W, a = init_network(1000, 7, seed=12)
    return p, W, a


@pytest.mark.parametrize("block", [None, 1, 37, 1000, 4096])
def test_fused_step_gives_the_plain_trajectory(instance, block):
    p, W, a = instance
    eta, steps = 0.05, 40
    times = [0.0, 0.5, 1.25, 2.0]
    tr = run_flow(p, (W, a), integrator="gd", t_max=2.0, eta=eta, times=times, block=block)
    ref, Ws = _plain_gd(p, W, a, eta, steps, {0, 10, 25, 40})
    assert tr.status == "completed" and tr.info["steps"] == steps
    assert tr.info["block"] == min(default_block(7, 6) if block is None else block, 1000)
    assert int(np.max(tr.n_pattern_changes)) > 0  # the run crosses activation surfaces
    np.testing.assert_array_equal(tr.n_pattern_changes, ref.n_pattern_changes)
    for name in ROW_FIELDS:
        assert _rel(getattr(tr, name), getattr(ref, name)) <= 1e-12, name
    assert _rel(tr.residual, ref.residual) <= 1e-12
    assert list(tr.W_times) == times
    for t, Wt in zip(tr.W_times, tr.W, strict=True):
        assert _rel(Wt, Ws[round(t / eta)]) <= 1e-12
    np.testing.assert_array_equal(W, instance[1])  # the caller's W is not written


def test_generic_namespace_path_equals_the_fused_path(instance):
    xs = pytest.importorskip("array_api_strict")
    from proofkit.problem import SobolevProblem

    p, W, a = instance
    x, y, V, h = p.host()
    q = SobolevProblem(*(xs.asarray(v) for v in (x, y, V, h)))
    kw = {"integrator": "gd", "t_max": 1.0, "eta": 0.05, "times": [0.0, 0.5, 1.0]}
    fast = run_flow(p, (W, a), **kw)
    strict = run_flow(q, (xs.asarray(W), xs.asarray(a)), **kw)
    np.testing.assert_array_equal(fast.n_pattern_changes, strict.n_pattern_changes)
    for name in ROW_FIELDS:
        assert _rel(getattr(strict, name), getattr(fast, name)) <= 1e-12, name
    for Wf, Ws in zip(fast.W, strict.W, strict=True):
        assert _rel(Ws, Wf) <= 1e-12


def test_float32_products_stay_close_to_float64(instance):
    p, W, a = instance
    kw = {"integrator": "gd", "t_max": 2.0, "eta": 0.05, "rows": 20}
    f64 = run_flow(p, (W, a), **kw)
    f32 = run_flow(p, (W, a), dtype="float32", **kw)
    assert f32.info["dtype"] == "float32" and f64.info["dtype"] == "float64"
    assert f32.residual.dtype == np.float64 and f32.W[-1].dtype == np.float64
    # measured on this instance: 1.4e-7 relative in the energy, 3.3e-7 in W; bound 1e-4
    assert _rel(f32.energy, f64.energy) <= 1e-4
    assert _rel(f32.W[-1], f64.W[-1]) <= 1e-4
    assert 0 < _rel(f32.W[-1], f64.W[-1])  # it really ran in single precision
    assert abs(int(f32.n_pattern_changes[-1]) - int(f64.n_pattern_changes[-1])) <= 3


def test_a_step_allocates_nothing_of_size_m():
    p = random_problem(5, 8, 2, seed=1)
    W, a = init_network(20_000, 8, seed=2)
    st = FusedGD(p, W, a, eta=0.01, block=256)
    st.advance()
    tracemalloc.start()
    for _ in range(3):
        st.advance()
    st.advance(W0=W)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < W.nbytes // 20, peak  # W is 1.28 MB; the step's temporaries are O(nd)


def test_zero_output_weights_keep_their_pattern(instance):
    p, W, a = instance
    a0 = a.copy()
    a0[::3] = 0.0
    tr = run_flow(p, (W, a0), integrator="gd", t_max=1.0, eta=0.05, times=[0.0, 1.0])
    ref, _ = _plain_gd(p, W, a0, 0.05, 20, {0, 20})
    np.testing.assert_array_equal(tr.n_pattern_changes, ref.n_pattern_changes)
    assert _rel(tr.lambda_min_H, ref.lambda_min_H) <= 1e-12


def test_divergence_is_recorded_and_stops(instance):
    p, W, a = instance
    tr = run_flow(p, (W, a), integrator="gd", t_max=200.0, eta=20.0, rows=5)
    assert tr.status == "diverged"
    assert tr.max_weight_move[-1] > 0 and np.isfinite(tr.lambda_min_H[-1])


@pytest.mark.parametrize(("kw", "field"), [({"block": 0}, "block"), ({"block": 2.5}, "block"),
                                           ({"dtype": "int8"}, "dtype"),
                                           ({"dtype": "float16"}, "dtype")])
def test_bad_block_or_dtype_is_one_clear_error(instance, kw, field):
    p, W, a = instance
    with pytest.raises(InputError, match=field):
        run_flow(p, (W, a), integrator="gd", t_max=0.1, eta=0.05, **kw)


def test_cupy_gd_equals_the_fused_path(instance):
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("no CUDA device")
    except cupy.cuda.runtime.CUDARuntimeError as exc:
        pytest.skip(f"no usable CUDA device: {exc}")
    from proofkit.problem import SobolevProblem

    p, W, a = instance
    q = SobolevProblem(*(cupy.asarray(v) for v in p.host()))
    kw = {"integrator": "gd", "t_max": 1.0, "eta": 0.05, "times": [0.0, 0.5, 1.0]}
    fast = run_flow(p, (W, a), **kw)
    gpu = run_flow(q, (cupy.asarray(W), cupy.asarray(a)), **kw)
    for name in ROW_FIELDS:
        assert _rel(getattr(gpu, name), getattr(fast, name)) <= 1e-12, name
    for Wf, Wg in zip(fast.W, gpu.W, strict=True):
        assert _rel(Wg, Wf) <= 1e-12
