"""Rows 1, 2 and 6: the GD step users run, against its own products and against torch.

"The step" is one step of ``run_flow(problem, net, integrator="gd", eta=η, t_max=s·η,
rows=1)``, measured as the marginal cost of a step of run_flow itself: each round times
run_flow end to end for ``s0`` and for ``s0 + s`` steps, and the step is the difference
over ``s``.  What is timed is run_flow's own code (the fused blocked steps of
:class:`proofkit.flow.fused.FusedGD`, the divergence check, the recorder); the one-time
set-up (copy of W, W(0), P(0), H(0), the two recorded rows at 0 and t_max, which both calls
have) cancels in the difference and is reported in ``detail`` (``setup_s``), with the
end-to-end time per step of the longer call (``amortised``).

Row 1 sets it against the three (m × n × d) products of one step timed alone
(``(aP) (ηU)``, ``W xᵀ``, ``Wᵀ (aP)``), in the same row blocks, into the same buffers.
Row 2 sets it against one GD step in PyTorch: the gradient by double backprop
(``create_graph=True``) and the in-place update ``W -= η ∂L/∂W``, float64, same threads.
Every ratio is the median of per-round ratios of interleaved rounds, with its min and max.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from ._common import check_close, clock_for, ratio_stats, rel_err, row, samples, skipped
from .machine import blas_threads

__all__ = ["bench_gd", "bench_scaling", "gd_inputs", "memory_probe", "products_of"]

ETA = 1e-3
RATIO_TARGET = "<= 1.2"
TORCH_TARGET = ">= 5"


def gd_inputs(m: int, d: int, n: int, k: int, *, seed: int = 0):
    """A seeded problem and network of the requested sizes: ``(problem, W, a)``."""
    from proofkit.network import init_network
    from proofkit.problem import random_problem

    problem = random_problem(n, d, k, seed=seed)
    W, a = init_network(m, d, seed=seed + 1)
    return problem, W, a


def products_of(st):
    """The three products of one step of ``st`` (a FusedGD), same blocks and buffers."""
    def run():
        W, aP, U, xT, B, m = st.W, st.aP, st._U, st.xT, st.block, st.m
        for s in range(0, m, B):
            t = min(s + B, m)
            r = t - s
            np.matmul(aP[s:t], U, out=st._D[:r])
            np.matmul(W[s:t], xT, out=st._Z[:r])
            np.matmul(W[s:t].T, aP[s:t], out=st._Gt)
    return run


def _run_flow(problem, W, a, steps: int, block=None):
    from proofkit.flow import run_flow

    return run_flow(problem, (W, a), integrator="gd", eta=ETA, t_max=steps * ETA, rows=1,
                    block=block)


def _plain_W(problem, W, a, steps: int):
    from proofkit.network import loss_and_gradient

    for _ in range(steps):
        W = W - ETA * loss_and_gradient(problem, W, a)[3]
    return W


def _torch_step(problem, W, a):
    """``(step, W_tensor)``: one torch GD step (double backprop, in-place update)."""
    import torch

    from .autograd import torch_routes

    Wt = torch.as_tensor(W.copy(), dtype=torch.float64)
    grad = torch_routes(problem, W, a, W_tensor=Wt)["double_backprop"]

    def step():
        _, g = grad()
        with torch.no_grad():
            Wt.sub_(ETA * g)
    return step, Wt


def bench_gd(m: int, d: int, n: int, k: int, *, steps: int, repeat: int,
             block: int | None = None) -> list[dict]:
    """Rows 1 and 2 at width ``m``: step / products (≤ 1.2) and torch / step (≥ 5)."""
    from proofkit.flow.fused import FusedGD

    problem, W, a = gd_inputs(m, d, n, k)
    threads, source = blas_threads()
    traj = _run_flow(problem, W, a, 2, block)
    err = rel_err(traj.W[-1], _plain_W(problem, W, a, 2))
    check_close("W after 2 steps of run_flow vs the plain step", err, 1e-12)
    st = FusedGD(problem, W, a, eta=ETA, block=traj.info["block"])
    s0 = 2
    fns = {"run_flow_short": lambda: _run_flow(problem, W, a, s0, block),
           "run_flow": lambda: _run_flow(problem, W, a, s0 + steps, block),
           "products": products_of(st)}
    has_torch = importlib.util.find_spec("torch") is not None
    torch_err = None
    if has_torch:
        import torch

        old = torch.get_num_threads()
        torch.set_num_threads(threads)
        tstep, Wt = _torch_step(problem, W, a)
        tstep()
        torch_err = rel_err(Wt.numpy(), _plain_W(problem, W, a, 1))
        check_close("W after one torch double-backprop step vs the plain step", torch_err, 1e-10)
        fns["torch_double_backprop"] = tstep
    clock, clock_name = clock_for(threads)
    try:
        t = samples(fns, repeat, clock)
    finally:
        if has_torch:
            torch.set_num_threads(old)
    long_, short = t.pop("run_flow"), t.pop("run_flow_short")
    t["run_flow_step"] = [(lg - sh) / steps for lg, sh in zip(long_, short, strict=True)]
    amortised = ratio_stats([lg / (s0 + steps) for lg in long_], t["products"])
    ratio = ratio_stats(t["run_flow_step"], t["products"])
    med = {key: float(np.median(v)) for key, v in t.items()}
    setup = float(np.median([sh - s0 * st_ for sh, st_ in zip(short, t["run_flow_step"],
                                                                strict=True)]))
    common = {"m": m, "d": d, "n": n, "k": k, "dtype": "float64", "block": st.block,
              "steps": [s0, s0 + steps], "repeat": repeat, "blas_threads": threads,
              "blas_threads_source": source, "clock": clock_name,
              "timed": f"run_flow(problem, net, integrator='gd', eta={ETA}, t_max=s*eta, rows=1) "
                       f"for s = {s0} and s = {s0 + steps} in each round; step = difference / "
                       f"{steps}",
              "setup_s": setup, "amortised_ratio_to_products": amortised,
              "median_s": med, "W_rel_err_vs_plain_step": err}
    rows = [row(f"GD step / its products (m={m})", ratio["median"], "x", RATIO_TARGET,
                spread=[ratio["min"], ratio["max"]],
                detail=common | {"ratio": ratio, "products": [
                    "(aP)_b @ (ηU), W_b @ xᵀ, W_bᵀ @ (aP)_b per block b, same buffers"]})]
    name = f"GD step speed-up over torch double backprop (m={m})"
    if not has_torch:
        rows.append(skipped(name, "x", TORCH_TARGET,
                            "torch is not installed (pip install 'proofkit[bench]')"))
        return rows
    sp = ratio_stats(t["torch_double_backprop"], t["run_flow_step"])
    rows.append(row(name, sp["median"], "x", TORCH_TARGET, spread=[sp["min"], sp["max"]],
                    detail=common | {"ratio": sp, "torch": torch.__version__,
                                     "torch_threads": threads,
                                     "torch_step": "double backprop (create_graph=True) for "
                                     "∂L/∂W, then W.sub_(η ∂L/∂W)",
                                     "torch_W_rel_err": torch_err}))
    return rows


def bench_scaling(widths, d: int, n: int, k: int, *, repeat: int,
                  memory_m: int | None, memory_steps: int = 3) -> list[dict]:
    """Row 6: fused-step time for each m in ``widths``, the log–log exponent, peak memory.

    The step timed is :meth:`FusedGD.advance`, the loop body of ``run_flow``'s GD.  Peak
    memory is measured in a fresh child process running ``run_flow(integrator="gd")``
    (see :func:`memory_probe`); ``memory_m=None`` skips it.
    """
    from proofkit.flow.fused import FusedGD

    times = {}
    clock, clock_name = clock_for(blas_threads()[0])
    for m in widths:
        problem, W, a = gd_inputs(int(m), d, n, k)
        st = FusedGD(problem, W, a, eta=ETA)
        times[int(m)] = float(np.median(samples({"step": st.advance}, repeat, clock)["step"]))
    ms = np.array(sorted(times), dtype=float)
    ts = np.array([times[int(m)] for m in ms])
    slope = float(np.polyfit(np.log(ms), np.log(ts), 1)[0]) if len(ms) > 1 else float("nan")
    rows = [row("GD step scaling exponent in m", slope, "log-log slope", "<= 1.1",
                detail={"d": d, "n": n, "k": k, "repeat": repeat, "statistic": "median",
                        "clock": clock_name,
                        "step_s": {str(int(m)): times[int(m)] for m in ms}})]
    target = "<= 1.5"
    mem_name = f"run_flow(integrator='gd') peak memory at m={memory_m}"
    if memory_m is None:
        rows.append(skipped("run_flow(integrator='gd') peak memory", "GB", target,
                            "memory probe not run at these sizes"))
        return rows
    try:
        probe = memory_probe(memory_m, d, n, k, memory_steps)
    except (subprocess.SubprocessError, OSError, ValueError) as exc:
        rows.append(skipped(mem_name, "GB", target, f"memory probe failed: {exc}"))
        return rows
    rows.append(row(mem_name, probe["run_flow_peak_bytes"] / 1e9, "GB", target,
                    detail=probe))
    return rows


def memory_probe(m: int, d: int, n: int, k: int, steps: int = 3, *,
                 timeout: float = 600.0) -> dict:
    """Run :func:`_probe_main` in a fresh Python process and return its JSON."""
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.gd_step", str(m), str(d), str(n), str(k), str(steps)],
        capture_output=True, text=True, timeout=timeout, cwd=root, env=env, check=False)
    if out.returncode != 0:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ValueError(f"exit code {out.returncode}: {tail[0]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _probe_main(argv: list[str]) -> dict:
    """Child process: build the inputs, reset the peak RSS, run run_flow, report the peak."""
    import resource

    m, d, n, k, steps = (int(v) for v in argv)
    problem, W, a = gd_inputs(m, d, n, k)
    rss_before = _status_kb("VmRSS")
    try:  # Linux ≥ 4.0: writing 5 resets VmHWM (the peak RSS) to the current RSS
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        reset = _status_kb("VmHWM") is not None
    except OSError:
        reset = False
    traj = _run_flow(problem, W, a, steps)
    if reset:
        peak = _status_kb("VmHWM")
        method = ("fresh child process; after building the inputs (problem, W, a) the peak "
                  "RSS is reset (/proc/self/clear_refs = 5), then run_flow runs; value = "
                  "VmHWM after run_flow − VmRSS before it (the inputs are not counted)")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        method = "fresh child process; ru_maxrss after run_flow − RSS before it"
    return {"m": m, "d": d, "n": n, "k": k, "steps": steps, "status": traj.status,
            "run_flow_peak_bytes": int(peak - rss_before), "process_peak_bytes": int(peak),
            "rss_before_run_flow_bytes": rss_before, "W_bytes": int(W.nbytes),
            "method": method}


if __name__ == "__main__":
    print(json.dumps(_probe_main(sys.argv[1:])))
