"""Figures and numbers of the infinite-width limit (docs/flow.md, issue 10).

* :func:`limit_gaps`: GD at width m against the two infinite-width recursions from the same
  r(0), (I − ηG)^j r(0) with G = H∞ + D and (I − ηH∞)^j r(0); the largest relative distance
  over t ≤ T.  With a frozen pattern GD maps r to (I − ηH(W))r exactly, so the gaps measure
  the kernel and the crossings, not the Euler step.
* :func:`energy_ratios`: ‖r(t)‖²e^{λ*t}/‖r(0)‖² along GD at several widths on a
  ``theorem1_limit`` counterexample (targets c·v), beside the limit and H∞ predictions.

``python -m proofkit.flow.limit_report --out DIR [--widths 1000,4000,...] [--seeds 0,1,2]``
writes ``limit_report.json``, ``limit_gap_vs_m.png`` and ``limit_energy_ratio.png`` into DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

__all__ = ["energy_ratios", "limit_gaps", "main"]

COUNTEREXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "data",
                              "theorem1_limit-counterexample.json")


def _recursion(M, r0, eta, idx):
    A = np.eye(r0.size) - eta * M
    out, r = {}, r0.copy()
    for s in range(max(idx) + 1):
        if s in idx:
            out[s] = r.copy()
        r = A @ r
    return np.array([out[s] for s in idx])


def limit_gaps(problem, m: int, seeds, *, eta: float = 0.0025, T: float = 0.25):
    """Mean over seeds of the relative gaps of GD to the G and to the H∞ recursions."""
    from ..kernels import h_infinity
    from ..limit import limit_generator
    from ..network import init_network
    from .run import run_flow

    G, H = np.asarray(limit_generator(problem)), np.asarray(h_infinity(problem))
    to_g, to_h = [], []
    for s in seeds:
        gd = run_flow(problem, init_network(m, problem.d, seed=s), integrator="gd", t_max=T,
                      eta=eta, rows=10)
        idx = [int(v) for v in np.round(gd.times / eta)]
        r0 = gd.residual[0]
        n0 = np.linalg.norm(r0)
        for M, acc in ((G, to_g), (H, to_h)):
            acc.append(np.max(np.linalg.norm(gd.residual - _recursion(M, r0, eta, idx),
                                             axis=1)) / n0)
    return float(np.mean(to_g)), float(np.mean(to_h))


def energy_ratios(problem, v, widths, *, seed: int = 0, c: float = 10.0, t_max=None,
                  rows: int = 60) -> dict:
    """GD energy ratio curves at each width and the limit / H∞ predictions (from m = max)."""
    from ..kernels import h_infinity
    from ..limit import limit_generator
    from ..network import init_network, residuals
    from ..problem import SobolevProblem
    from .limit import limit_propagator
    from .run import default_eta, run_flow

    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    v = np.asarray(v, dtype=float) / np.linalg.norm(v)
    p = SobolevProblem(x, c * v[:n], V, c * v[n:].reshape(n, k))
    G, H = np.asarray(limit_generator(p)), np.asarray(h_infinity(p))
    lam = float(np.linalg.eigvalsh(H)[0])
    t_max = min(1.0 / lam, 5.0) if t_max is None else float(t_max)
    times = np.linspace(0.0, t_max, rows + 1)
    curves = {}
    for m in widths:
        net = init_network(int(m), p.d, seed=seed)
        tr = run_flow(p, net, integrator="gd", t_max=t_max, eta=default_eta(p, net),
                      times=times)
        curves[int(m)] = {"times": tr.times.tolist(),
                          "ratio": (tr.energy * np.exp(lam * tr.times) / tr.energy[0]).tolist()}
    e0, S0 = residuals(p, *init_network(int(max(widths)), p.d, seed=seed))
    r0 = np.concatenate([e0, np.asarray(S0).reshape(-1)])

    def pred(M):
        R = limit_propagator(M, times) @ r0
        en = np.sum(R**2, axis=1)
        return (en * np.exp(lam * times) / en[0]).tolist()

    return {"lambda_star": lam, "c": c, "seed": seed, "times": times.tolist(),
            "gd": curves, "limit": pred(G), "hinf": pred(H)}


def _figures(res: dict, out: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .sweep import loglog_slope

    paths = []
    ms = res["widths"]
    g, h = res["gap_to_limit"], res["gap_to_hinf"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(ms, h, "s-", label=f"GD vs H∞ flow (slope {loglog_slope(ms, h):.2f})")
    ax.loglog(ms, g, "o-", label=f"GD vs limit G = H∞ + D (slope {loglog_slope(ms, g):.2f})")
    ax.loglog(ms, g[0] * (np.asarray(ms) / ms[0]) ** -0.25, "k:", lw=0.8, label="m^(−1/4)")
    ax.set_xlabel("width m")
    ax.set_ylabel(f"max_t≤{res['T']} ‖r_GD − r‖ / ‖r(0)‖")
    ax.legend(fontsize=7)
    paths.append(os.path.join(out, "limit_gap_vs_m.png"))
    fig.savefig(paths[-1], bbox_inches="tight")
    plt.close(fig)
    er = res["energy_ratio"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for m, cur in er["gd"].items():
        ax.plot(cur["times"], cur["ratio"], label=f"GD, m = {int(m):,}")
    ax.plot(er["times"], er["limit"], "k--", label="limit e^(−Gt) r(0)")
    ax.plot(er["times"], er["hinf"], "k:", label="H∞ flow")
    ax.axhline(1.0, color="grey", lw=0.6)
    ax.set_xlabel("t")
    ax.set_ylabel("‖r(t)‖² e^(λ*t) / ‖r(0)‖²  (Theorem 1: ≤ 1)")
    ax.legend(fontsize=7)
    paths.append(os.path.join(out, "limit_energy_ratio.png"))
    fig.savefig(paths[-1], bbox_inches="tight")
    plt.close(fig)
    return paths


def main(argv=None) -> int:
    from ..counterexample import load_counterexample
    from ..errors import InputError
    from ..instance_io import decode_instance
    from ..problem import SobolevProblem, random_problem
    from ..report.atomic import write_text

    ap = argparse.ArgumentParser(prog="python -m proofkit.flow.limit_report")
    ap.add_argument("--out", required=True)
    ap.add_argument("--widths", default="1000,4000,16000,64000,256000,400000")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--ratio-widths", default="1000,10000,100000")
    ap.add_argument("--counterexample", default=COUNTEREXAMPLE)
    args = ap.parse_args(argv)
    try:
        widths = [int(w) for w in args.widths.split(",")]
        seeds = [int(s) for s in args.seeds.split(",")]
        rwidths = [int(w) for w in args.ratio_widths.split(",")]
        if min(widths + rwidths) < 1 or len(widths) < 2:
            raise ValueError
    except ValueError:
        print("error: --widths/--ratio-widths/--seeds must be comma-separated integers "
              "(widths >= 1, at least two --widths)", file=sys.stderr)
        return 2
    try:
        data = load_counterexample(args.counterexample)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    x, y, V, h = random_problem(4, 5, 2, seed=0).host()
    c, eta, T = 10.0, 0.0025, 0.25
    p = SobolevProblem(x, c * y, V, c * h)
    gaps = [limit_gaps(p, m, seeds, eta=eta, T=T) for m in widths]
    inst = decode_instance(data["instance"])
    er = energy_ratios(inst["problem"], data["check"]["extra"]["worst_direction"], rwidths)
    res = {"problem": "random_problem(4, 5, 2, seed=0) with targets ×10", "eta": eta, "T": T,
           "seeds": seeds, "widths": widths, "gap_to_limit": [g for g, _ in gaps],
           "gap_to_hinf": [hh for _, hh in gaps], "energy_ratio": er,
           "counterexample": os.path.relpath(args.counterexample)}
    os.makedirs(args.out, exist_ok=True)
    write_text(os.path.join(args.out, "limit_report.json"), json.dumps(res, indent=1) + "\n")
    for path in _figures(res, args.out):
        print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
