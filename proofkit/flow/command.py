"""``proofkit flow`` and ``proofkit sweep``: thin command-line layer over proofkit.flow.

Only argparse is imported at module level; numpy and the engine load inside ``func``.
"""

from __future__ import annotations

import argparse

__all__ = ["register"]

_INTEGRATORS = ("gd", "ode", "exact", "linear", "infinite", "limit")


def _problem_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--n", type=int, default=4, help="number of points (default 4)")
    p.add_argument("--d", type=int, default=5, help="input dimension (default 5)")
    p.add_argument("--k", type=int, default=2, help="directions per point (default 2)")
    p.add_argument("--problem-seed", type=int, default=0, help="seed of the random instance")
    p.add_argument("--separation", type=float, default=None, help="lower bound on δ1 (7)")
    p.add_argument("--t-max", type=float, default=None, help="final time (default: flow 10/λ*, sweep 4/λ*)")
    p.add_argument("--eta", type=float, default=None, help="GD step (default min(0.1, 0.5/λmax))")
    p.add_argument("--delta", type=float, default=0.1, help="failure probability δ (default 0.1)")
    p.add_argument("--json", action="store_true", help="print JSON on stdout")
    p.add_argument("--out", metavar="DIR", default=None, help="write results into DIR")


def register(subparsers) -> None:
    """Add the ``flow`` and ``sweep`` sub-commands."""
    p = subparsers.add_parser(
        "flow", help="run the gradient flow at one width and check Theorems 1-2 along it",
        description="Run the gradient flow (5) (or (12) with --bias) and check Theorem 1, "
        "Lemmas 2-4 and the escape time (15) at every recorded time.")
    _problem_args(p)
    p.add_argument("--m", type=int, default=1000, help="width (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initialisation (9)")
    p.add_argument("--integrator", choices=_INTEGRATORS, default="gd")
    p.add_argument("--limit-model", choices=("kinetic", "linear"), default="kinetic",
                   help="with --integrator limit: the limit with its boundary-layer memory "
                   "(default) or its generator e^{-Gt} at t = 0+")
    p.add_argument("--rtol", type=float, default=None, help="ODE relative tolerance")
    p.add_argument("--atol", type=float, default=None, help="ODE absolute tolerance")
    p.add_argument("--rows", type=int, default=50, help="recorded times (default 50)")
    p.add_argument("--sliding", choices=("stop", "filippov"), default="filippov",
                   help="exact integrator at a sliding surface: follow Filippov's solution "
                   "(default) or stop")
    p.add_argument("--bias", action="store_true",
                   help="biased network (10), run directly and compared with the lifted one")
    p.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    p.set_defaults(func=_flow)
    s = subparsers.add_parser(
        "sweep", help="widths x seeds of `flow`: tables, slopes and figures",
        description="Run `flow` over widths and seeds; report tables and log-log slopes and, "
        "with --out, write sweep.json and figures.")
    _problem_args(s)
    s.add_argument("--widths", default="100,1000,10000",
                   help="comma-separated widths (default 100,1000,10000)")
    s.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    s.add_argument("--integrator", choices=("gd", "ode", "exact"), default="gd")
    s.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    s.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                   help="run the cells on dask.distributed: 'local' (a LocalCluster with one "
                   "worker per core) or a scheduler address such as tcp://host:8786 (default: "
                   "$PROOFKIT_SCHEDULER, else serial here); needs pip install 'proofkit[dask]'")
    s.set_defaults(func=_sweep)


def _ints(text: str, field: str, minimum: int) -> list[int]:
    from ..errors import InputError

    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise InputError(f"--{field} {text!r} is not a comma-separated list of integers") from None
    if not vals or min(vals) < minimum:
        raise InputError(f"--{field} {text!r}: need at least one value, each >= {minimum}")
    return vals


def _common(args):
    import math

    from ..errors import InputError
    from ..problem import random_problem

    for name in ("t_max", "eta"):
        v = getattr(args, name)
        if v is not None and not (math.isfinite(v) and v > 0):
            raise InputError(f"--{name.replace('_', '-')} {v!r} must be a finite number > 0")
    if not 0 < args.delta < 1:
        raise InputError(f"--delta {args.delta!r} must lie in (0, 1)")
    return random_problem(args.n, args.d, args.k, separation=args.separation,
                          seed=args.problem_seed)


def _write(out_dir: str, name: str, data) -> str:
    import json
    import os

    from ..outdir import record_files

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, name)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)
    record_files(out_dir, [path], name.split(".")[0])
    return path


def _provenance(args) -> dict:
    """Command line, seeds and versions: what a reader needs to rerun this output."""
    from ..report.environment import environment

    return {"command": ["proofkit", *getattr(args, "argv", [])],
            "problem_seed": args.problem_seed, "seed": getattr(args, "seed", None),
            "seeds": getattr(args, "seeds", None),
            "environment": environment()}


def _flow(args) -> int:
    import json
    import time

    from ..errors import InputError
    from ..limits import flow_options
    from .validate import validate_theorem1, validate_theorem2

    flow_options(args)
    if args.m < 1:
        raise InputError(f"--m {args.m!r}: the width must be an integer >= 1")
    if args.rows < 1:
        raise InputError(f"--rows {args.rows!r} must be >= 1")
    if args.bias and args.integrator not in ("gd", "ode"):
        raise InputError(f"--bias runs the biased network directly; --integrator must be gd or "
                         f"ode, got {args.integrator!r}")
    problem = _common(args)
    start = time.perf_counter()
    kw = {"integrator": args.integrator, "t_max": args.t_max, "delta": args.delta,
          "eta": args.eta, "rows": args.rows, "rtol": args.rtol, "atol": args.atol}
    if args.integrator == "limit":
        kw["model"] = args.limit_model
    from ..progress import activity

    with activity(f"flow m={args.m} ({args.integrator})", quiet=args.quiet):
        if args.bias:
            rep = validate_theorem2(problem, args.m, args.seed, **kw)
        else:
            rep = validate_theorem1(problem, args.m, args.seed, sliding=args.sliding, **kw)
    rep = {"theorem": 2 if args.bias else 1, "problem": problem.summary()} | rep
    rep["wall_seconds"] = time.perf_counter() - start
    rep["provenance"] = _provenance(args)
    if args.out:
        if "series" in rep:
            from .figure import energy_figure

            rep["figures"] = energy_figure(rep, args.out)
        _write(args.out, "flow.json", rep)
        if "figures" in rep:
            import os

            from ..outdir import record_files

            record_files(args.out, [os.path.join(args.out, f) for f in rep["figures"].values()],
                         "flow")
    if args.json:
        print(json.dumps(rep, indent=1))
        return 0
    tr = rep["trajectory"]
    print(f"Theorem {rep['theorem']}: m={rep['m']} seed={rep['seed']} integrator="
          f"{tr['integrator']} status={tr['status']} t in [0, {tr['t_final']:.4g}]  "
          f"lambda*={rep['lambda_star']:.4g}  width required={rep['width_required']['theorem1']:.3g}")
    for name, c in rep["checks"].items():
        at = c["time_of_worst"]
        print(f"  {name:9s} {'holds' if c['holds'] else 'FAILS':5s}  worst ratio "
              f"{c['worst_ratio']:.4g} at t={at:.4g}  (measured {c['measured']:.4g}, bound "
              f"{c['bound']:.4g})")
    if "agreement" in rep:
        ag = rep["agreement"]
        print(f"  direct vs lifted: max |Δr| {ag['max_abs_residual_diff']:.3g}, max |ΔW| "
              f"{ag['max_abs_final_weight_diff']:.3g} -> {'agree' if ag['agree'] else 'DISAGREE'}")
    if rep.get("events"):
        kinds = [ev["kind"] for ev in rep["events"]]
        print(f"  events: {len(kinds)} ({kinds.count('crossing')} crossing, "
              f"{kinds.count('sliding')} sliding, {kinds.count('exit')} exit)")
    if tr.get("message"):
        print(f"  note: {tr['message']}")
    return 0


def _sweep(args) -> int:
    import json

    from ..limits import flow_options
    from ..outdir import record_files
    from .distributed import resolve_scheduler
    from .sweep import sweep, write_figures

    widths = _ints(args.widths, "widths", 1)
    seeds = _ints(args.seeds, "seeds", 0)
    flow_options(args, widths, seeds)
    scheduler = resolve_scheduler(args.scheduler)
    problem = _common(args)
    runs_path = None
    if scheduler is not None and args.out:
        import os

        os.makedirs(args.out, exist_ok=True)
        runs_path = os.path.join(args.out, "sweep-runs.jsonl")  # one line per finished cell
        record_files(args.out, [runs_path], "sweep")

    from ..progress import bar

    # on Dask the progress is Dask's own (drawn by the sweep); here the tqdm bar of the
    # serial run
    with bar(len(widths) * len(seeds), "sweep", quiet=args.quiet or scheduler is not None,
             unit="run") as b:
        def tick(done, total, label):
            b.set_postfix_str(label, refresh=False)
            b.update(done - b.n)

        res = sweep(problem, widths, seeds, integrator=args.integrator, t_max=args.t_max,
                    delta=args.delta, eta=args.eta, progress=None if args.quiet else tick,
                    scheduler=scheduler, runs_path=runs_path)
    res["provenance"] = _provenance(args)
    if args.out:
        _write(args.out, "sweep.json", res)
        res["figures"] = write_figures(res, args.out)
        record_files(args.out, res["figures"], "sweep")
    if args.json:
        print(json.dumps({k: v for k, v in res.items() if k != "curves"}, indent=1))
        return 0
    print(f"lambda*={res['lambda_star']:.4g}  t_max={res['t_max']:.4g}  integrator="
          f"{res['integrator']}")
    print(f"{'m':>8} {'thm1 worst':>10} {'tau0 worst':>10} {'max move':>10} {'drift':>10} "
          f"{'frac chg':>9} {'all hold':>8}")
    for b in res["by_width"]:
        print(f"{b['m']:>8} {b['theorem1_worst_ratio']:>10.4g} {b['tau0_worst_ratio']:>10.4g} "
              f"{b['max_weight_move']:>10.4g} {b['max_kernel_drift_F']:>10.4g} "
              f"{b['fraction_pattern_changes']:>9.4g} {b['all_hold_fraction']:>8.2f}")
    for k, v in res["slopes"].items():
        print(f"slope {k}: {v:.3f}")
    return 0
