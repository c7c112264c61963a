"""Confirm a limit prediction against Theorem 1 by finite-width gradient descent.

A ``theorem1_limit`` counterexample says that on its data the limit generator G = H∞ + D
dissipates less than λ*/2 in the direction v (``check.extra.worst_direction``):
vᵀGv < (λ*/2)‖v‖², so the limit flow started at r(0) = v has ‖r(t)‖²e^{λ*t}/‖r(0)‖² > 1 for
small t.  :func:`confirm` sets the targets to ``(y, h) = c·v`` (c = 10 by default: the
initial network output is O(1), so r(0) ≈ c·v), runs GD at width m from two initialisations
with two step sizes, and reports the worst ratio over t ≤ t_max beside the same ratio for the
limit flow e^{−Gt}r(0) and for the H∞ flow e^{−H∞t}r(0) (≤ 1 always) from the same r(0);
t_max defaults to min(1/λ*, 5): the linear limit model is exact at t = 0+ and the excess
of the ratio, 1 + (λ* − 2r̂ᵀGr̂)t + O(t²), shows first.

Command line (what ``proofkit replay`` prints for such a file)::

    python -m proofkit.flow.confirm FILE [--m 100000] [--write]
    python -m proofkit.flow.confirm FILE --search 300 [--seed 0]   # find, write, confirm

``--write`` stores the result under ``"confirmation"`` in FILE (the limit prediction, which
``replay`` compares bit for bit, is left untouched).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

__all__ = ["confirm", "main", "write_limit_counterexample"]


def _ratio(R, times, lam):
    en = np.sum(np.asarray(R) ** 2, axis=1)
    return en * np.exp(lam * np.asarray(times)) / en[0]


def confirm(problem, v, *, m: int = 100_000, seeds=(0, 1), eta_factors=(1.0, 0.25),
            c: float = 10.0, t_max: float | None = None, rows: int = 100) -> dict:
    """GD at width ``m`` on targets ``c·v`` against the limit prediction; JSON-able dict."""
    from ..kernels import h_infinity
    from ..limit import limit_generator
    from ..network import init_network, residuals
    from ..problem import SobolevProblem
    from .limit import limit_propagator
    from .run import default_eta, run_flow

    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    p = SobolevProblem(x, c * v[:n], V, c * v[n:].reshape(n, k))
    G = np.asarray(limit_generator(p), dtype=float)
    H = np.asarray(h_infinity(p), dtype=float)
    lam = float(np.linalg.eigvalsh(H)[0])
    t_max = min(1.0 / lam, 5.0) if t_max is None else float(t_max)
    times = np.linspace(0.0, t_max, rows + 1)
    runs = []
    for seed in seeds:
        net = init_network(int(m), problem.d, seed=seed)
        e0, S0 = residuals(p, *net)
        r0 = np.concatenate([e0, np.asarray(S0).reshape(-1)])
        lim = _ratio(limit_propagator(G, times) @ r0, times, lam)
        hinf = _ratio(limit_propagator(H, times) @ r0, times, lam)
        eta0 = default_eta(p, net)
        for f in eta_factors:
            eta = eta0 * f
            t0 = time.perf_counter()
            tr = run_flow(p, net, integrator="gd", t_max=t_max, eta=eta, times=times)
            gd = tr.energy * np.exp(lam * tr.times) / tr.energy[0]
            j = int(np.argmax(gd))
            runs.append({
                "seed": int(seed), "eta": float(eta), "gd_worst_ratio": float(gd[j]),
                "gd_time_of_worst": float(tr.times[j]),
                "limit_ratio_at_that_time": float(np.interp(tr.times[j], times, lim)),
                "limit_worst_ratio": float(np.max(lim)),
                "hinf_worst_ratio": float(np.max(hinf)),
                "gd_ratio": gd.tolist(), "gd_times": np.asarray(tr.times).tolist(),
                "seconds": time.perf_counter() - t0})
    confirmed = all(r["gd_worst_ratio"] > 1.0 for r in runs)
    return {"m": int(m), "c": c, "t_max": t_max, "lambda_star": lam, "seeds": list(seeds),
            "eta_factors": list(eta_factors), "limit_times": times.tolist(),
            "runs": runs, "confirmed": bool(confirmed),
            "summary": ("every GD run exceeds e^(−λ*t)‖r(0)‖²" if confirmed else
                        "not every GD run exceeds the bound")}


def write_limit_counterexample(out, *, max_examples: int = 300, seed: int = 0, dps: int = 30):
    """Targeted search (:func:`lemmas.theorem1_limit.targeted_search`) and a counterexample file at
    ``out`` in the format of :mod:`proofkit.counterexample` (replayable bit for bit).

    Returns ``(path, check)``; nothing is written when the smallest margin is ≥ 0.
    """
    import math as _m

    from lemmas.theorem1_limit import targeted_search

    from ..claims import get_claim
    from ..counterexample import write_counterexample
    from ..search import SearchResult
    from ..trial import is_rounding_tie

    claim = get_claim("theorem1_limit")
    t0 = time.perf_counter()
    inst, mu, evals = targeted_search(max_examples, seed)
    chk = claim.check(inst, dps)
    if chk.holds:
        return None, chk
    res = SearchResult(claim.id, None, seed, max_examples, evals, 0, 0, 0, True,
                       is_rounding_tie(chk), float(chk.slack), None, None,
                       {"method": "none"}, None, time.perf_counter() - t0,
                       "targeted search (lemmas.theorem1_limit.targeted_search): smallest margin "
                       f"{mu:.6g} over {evals} instances" if _m.isfinite(mu) else "", "targeted")
    return write_counterexample(out, claim, res, inst, chk, dps=dps), chk


def main(argv=None) -> int:
    from ..counterexample import load_counterexample
    from ..errors import InputError
    from ..instance_io import decode_instance

    ap = argparse.ArgumentParser(prog="python -m proofkit.flow.confirm",
                                 description="Rerun the GD confirmation of a theorem1_limit "
                                 "counterexample (or, with --search, find one first).")
    ap.add_argument("file")
    ap.add_argument("--m", type=int, default=100_000, help="width (default 100000)")
    ap.add_argument("--c", type=float, default=10.0, help="target scale (default 10)")
    ap.add_argument("--write", action="store_true", help="store the result in FILE")
    ap.add_argument("--search", type=int, default=0, metavar="N",
                    help="first run a targeted search of N instances and write FILE")
    ap.add_argument("--seed", type=int, default=0, help="seed of --search (default 0)")
    args = ap.parse_args(argv)
    try:
        if args.m < 1:
            raise InputError(f"--m {args.m}: the width must be >= 1")
        if args.search < 0:
            raise InputError(f"--search {args.search}: it must be >= 0")
        if args.search:
            path, chk = write_limit_counterexample(args.file, max_examples=args.search,
                                                   seed=args.seed)
            if path is None:
                print(f"no failing instance: smallest margin {chk.slack:.6g} >= 0")
                return 0
        data = load_counterexample(args.file)
        if data["claim"] != "theorem1_limit":
            raise InputError(f"{args.file}: field 'claim' is {data['claim']!r}; this command "
                             "confirms theorem1_limit counterexamples")
        v = data["check"].get("extra", {}).get("worst_direction")
        if not isinstance(v, list) or not v:
            raise InputError(f"{args.file}: field 'check.extra.worst_direction' is missing")
        inst = decode_instance(data["instance"])
        res = confirm(inst["problem"], v, m=args.m, c=args.c)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    res["command"] = f"python -m proofkit.flow.confirm {args.file} --m {args.m} --c {args.c:g}"
    brief = {k: v for k, v in res.items() if k not in ("runs", "limit_times")}
    brief["runs"] = [{k: v for k, v in r.items() if k not in ("gd_ratio", "gd_times")}
                     for r in res["runs"]]
    print(json.dumps(brief, indent=1))
    if args.write or args.search:
        from ..report.atomic import write_text

        data["confirmation"] = res
        write_text(args.file, json.dumps(data, indent=1, allow_nan=False) + "\n")
    return 0 if res["confirmed"] else 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
