"""GD step on a GPU (CuPy): ``python -m benchmarks.gpu [--widths ...] [--json PATH]``.

Run by ``benchmarks/gpu.sh`` on a machine with an NVIDIA GPU.  For each width m it times
the step ``run_flow(integrator="gd")`` runs on CuPy arrays (the generic array-API path:
:func:`proofkit.network.loss_and_gradient`, then ``W − η ∂L/∂W``), synchronised, median of
``--repeat`` rounds, and checks the first step against the NumPy fused step (m ≤ 1e6) to
1e-12.  A width that does not fit in device memory is reported with the error, not hidden.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

D, N, K, ETA = 50, 20, 3, 1e-3


def _time_width(m: int, repeat: int, dtype: str) -> dict:
    import cupy as cp

    from proofkit.network import loss_and_gradient
    from proofkit.problem import SobolevProblem, random_problem

    p = random_problem(N, D, K, seed=0)
    q = SobolevProblem(*(cp.asarray(v) for v in p.host()))
    rng = cp.random.default_rng(1)
    W = rng.standard_normal((m, D), dtype=cp.float64)
    a = cp.where(rng.random(m) < 0.5, -1.0, 1.0) / np.sqrt(m)
    out = {"m": m, "d": D, "n": N, "k": K, "dtype": dtype}
    if m <= 1_000_000:  # the GPU step against the CPU fused step, one step
        from proofkit.flow.fused import FusedGD

        Wh, ah = cp.asnumpy(W), cp.asnumpy(a)
        st = FusedGD(p, Wh, ah, eta=ETA)
        st.advance()
        Wg = W - ETA * loss_and_gradient(q, W, a)[3]
        out["rel_err_vs_cpu_fused"] = float(np.max(np.abs(cp.asnumpy(Wg) - st.W))
                                            / np.max(np.abs(st.W)))
        del Wg
    times = []
    for _ in range(repeat):
        cp.cuda.Device().synchronize()
        t0 = time.perf_counter()
        grad = loss_and_gradient(q, W, a)[3]
        grad *= ETA  # in place: at m = 1e8 one more (m × d) array would not fit
        W -= grad
        del grad
        cp.cuda.Device().synchronize()
        times.append(time.perf_counter() - t0)
    out |= {"step_s_median": statistics.median(times), "step_s_min": min(times),
            "step_s_max": max(times), "repeat": repeat,
            "device_bytes_in_use": int(cp.get_default_memory_pool().used_bytes())}
    return out


def _run_flow_check(m: int) -> dict:
    """run_flow(integrator="gd") on CuPy arrays equals the NumPy run to 1e-12 (a few steps)."""
    import cupy as cp

    from proofkit.flow import run_flow
    from proofkit.network import init_network
    from proofkit.problem import SobolevProblem, random_problem

    p = random_problem(N, D, K, seed=0)
    q = SobolevProblem(*(cp.asarray(v) for v in p.host()))
    W, a = init_network(m, D, seed=1)
    kw = {"integrator": "gd", "eta": ETA, "t_max": 5 * ETA, "times": [0.0, 5 * ETA]}
    t0 = time.perf_counter()
    gpu = run_flow(q, (cp.asarray(W), cp.asarray(a)), **kw)
    t_gpu = time.perf_counter() - t0
    cpu = run_flow(p, (W, a), **kw)
    err = float(np.max(np.abs(gpu.W[-1] - cpu.W[-1])) / np.max(np.abs(cpu.W[-1])))
    return {"m": m, "steps": 5, "W_rel_err": err, "agree_1e-12": err <= 1e-12,
            "gpu_run_flow_s": t_gpu}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.gpu")
    ap.add_argument("--widths", default="1000000,10000000,100000000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", dest="json_path", default=None, help="also write the JSON here")
    args = ap.parse_args(argv)
    import cupy as cp

    report = {"device": cp.cuda.runtime.getDeviceProperties(0)["name"].decode(),
              "cupy": cp.__version__, "run_flow_check": _run_flow_check(100_000), "widths": []}
    for m in (int(v) for v in args.widths.split(",")):
        try:
            report["widths"].append(_time_width(m, args.repeat, "float64"))
        except cp.cuda.memory.OutOfMemoryError as exc:
            report["widths"].append({"m": m, "skipped": f"out of device memory: {exc}"})
        cp.get_default_memory_pool().free_all_blocks()
        print(json.dumps(report["widths"][-1]), file=sys.stderr, flush=True)
    text = json.dumps(report, indent=1)
    print(text)
    if args.json_path:
        with open(args.json_path, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0 if report["run_flow_check"]["agree_1e-12"] else 1


if __name__ == "__main__":
    sys.exit(main())
