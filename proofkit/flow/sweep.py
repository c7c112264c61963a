"""Widths × seeds sweeps of :func:`validate_theorem1`: tables, log–log slopes and figures.

For every (m, seed) the flow is run and checked; the table keeps the worst ratio of each
check, the final fraction of activation changes, the largest weight movement, the largest
‖H(t) − H(0)‖_F and the first time Theorem 1's inequality fails.  Slopes of
log(max weight movement) and log(max kernel drift) against log m are fitted by least
squares over the seed means (the proof predicts −1/2 for both: R ∝ m^{−1/2}).
Figures are written with matplotlib's Agg backend, imported only when asked for.
"""

from __future__ import annotations

import math
import os

import numpy as np

__all__ = ["loglog_slope", "sweep", "write_figures"]


def loglog_slope(xs, ys) -> float:
    """Least-squares slope of log y against log x (nan with fewer than two positive points).

    >>> round(loglog_slope([1, 10, 100], [1, 0.1, 0.01]), 12)
    -1.0
    """
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    ok = (xs > 0) & (ys > 0) & np.isfinite(ys)
    if np.count_nonzero(ok) < 2:
        return math.nan
    return float(np.polyfit(np.log(xs[ok]), np.log(ys[ok]), 1)[0])


def run_one(problem, m: int, seed: int, *, integrator: str, t_max: float, delta: float,
            eta, rows: int, lam: float, curve: bool) -> dict:
    """One (width, seed) cell of a sweep: the table row, and the energy curve when asked.

    A pure function of its arguments (the run is seeded), so it gives the same result in
    this process, in a process pool or on a Dask worker.
    """
    from ..network import init_network
    from .run import run_flow
    from .validate import _report

    traj = run_flow(problem, init_network(m, problem.d, seed=seed), integrator=integrator,
                    t_max=t_max, eta=eta, rows=rows)
    rep = _report(traj, lam, problem.n, problem.k, problem.gamma, delta, m, seed, t_max)
    c = rep["checks"]
    out = {"row": {
        "m": m, "seed": seed, "status": traj.status,
        **{f"{k}_worst_ratio": v["worst_ratio"] for k, v in c.items()},
        "theorem1_first_failure": c["theorem1"]["first_failure_time"],
        "fraction_pattern_changes": traj.summary()["fraction_pattern_changes_final"],
        "max_weight_move": float(np.max(traj.max_weight_move)),
        "max_kernel_drift_F": float(np.max(traj.kernel_drift_F)),
        "R": c["lemma4"]["R"], "all_hold": rep["all_hold"],
    }}
    if curve:
        out["curve"] = {"times": traj.times.tolist(), "energy": traj.energy.tolist(),
                        "bound": (np.exp(-lam * traj.times) * traj.energy[0]).tolist()}
    return out


def sweep(problem, widths, seeds, *, integrator: str = "gd", t_max=None, delta: float = 0.1,
          eta=None, rows: int = 100, progress=None, scheduler=None, runs_path=None) -> dict:
    """Run :func:`validate_theorem1` for every width and seed; JSON-able result.

    ``progress(done, total, label)`` is called after each run when given (serial runs).
    ``scheduler`` (``"local"`` or a Dask scheduler address) runs the cells on
    ``dask.distributed`` instead (see :mod:`proofkit.flow.distributed`), with Dask's own
    progress bar; each finished cell is then appended to ``runs_path`` (JSON lines) as it
    arrives.  The result is the same either way, seed for seed.  It holds ``rows`` (one
    per run), ``by_width`` (seed means) and ``slopes``; ``curves`` keeps the energy and its
    bound over time for the first seed of each width (for the figures).
    """
    from ..kernels import lambda_star

    widths = [int(m) for m in widths]
    seeds = list(seeds)
    lam = lambda_star(problem)
    t_max = 4.0 / lam if t_max is None else float(t_max)
    cells = [(m, s) for m in widths for s in seeds]
    kw = {"integrator": integrator, "t_max": t_max, "delta": delta, "eta": eta, "rows": rows,
          "lam": lam}
    if scheduler is not None:
        from .distributed import run_cells

        results = run_cells(problem, cells, kw, first_seed=seeds[0], scheduler=scheduler,
                            runs_path=runs_path, show_progress=progress is not None)
    else:
        results = []
        for done, (m, s) in enumerate(cells, 1):
            results.append(run_one(problem, m, s, curve=s == seeds[0], **kw))
            if progress is not None:
                progress(done, len(cells), f"m={m} seed={s}")
    table = [r["row"] for r in results]
    curves = {str(r["row"]["m"]): r["curve"] for r in results if "curve" in r}
    by_width = []
    for m in widths:
        sel = [r for r in table if r["m"] == m]
        by_width.append({"m": m} | {key: float(np.mean([r[key] for r in sel])) for key in (
            "fraction_pattern_changes", "max_weight_move", "max_kernel_drift_F",
            "theorem1_worst_ratio", "tau0_worst_ratio", "lemma4_worst_ratio")}
            | {"all_hold_fraction": float(np.mean([r["all_hold"] for r in sel]))})
    ms = [b["m"] for b in by_width]
    return {
        "problem": problem.summary(), "lambda_star": lam, "t_max": t_max, "delta": delta,
        "integrator": integrator, "widths": widths, "seeds": seeds, "rows": table,
        "by_width": by_width, "curves": curves,
        "slopes": {
            "max_weight_move_vs_m": loglog_slope(ms, [b["max_weight_move"] for b in by_width]),
            "max_kernel_drift_F_vs_m": loglog_slope(
                ms, [b["max_kernel_drift_F"] for b in by_width]),
            "fraction_pattern_changes_vs_m": loglog_slope(
                ms, [b["fraction_pattern_changes"] for b in by_width]),
        },
    }


def write_figures(result: dict, out_dir, *, formats=("pdf", "png")) -> list[str]:
    """Write the four sweep figures into ``out_dir`` (vector PDF and 300 dpi PNG, one
    journal column wide); returns the paths written.

    Each file is written to a temporary name and moved into place with ``os.replace``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(out_dir, exist_ok=True)
    paths = []

    def save(fig, name):
        for ext in formats:
            path = os.path.join(out_dir, f"{name}.{ext}")
            tmp = path + ".tmp"
            fig.savefig(tmp, format=ext, bbox_inches="tight", dpi=300, pad_inches=0.02)
            os.replace(tmp, path)
            paths.append(path)
        plt.close(fig)

    with plt.rc_context({"font.size": 8, "pdf.fonttype": 42, "mathtext.fontset": "dejavusans"}):
        fig, ax = plt.subplots(figsize=(3.1, 2.4))  # 3.4 in with the labels
        for m, cur in result["curves"].items():
            line, = ax.semilogy(cur["times"], cur["energy"], label=f"m={m}")
            ax.semilogy(cur["times"], cur["bound"], ls="--", color=line.get_color(), lw=0.8)
        ax.set_xlabel("t")
        ax.set_ylabel(r"$\|e(t)\|^2+\|S(t)\|^2$")
        handles, labels = ax.get_legend_handles_labels()
        handles.append(plt.Line2D([], [], ls="--", color="0.3", lw=0.8))
        labels.append("Theorem 1 bound")
        ax.legend(handles, labels, fontsize=7, ncol=2, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  frameon=False)
        save(fig, "loss_vs_bound")
        ms = [b["m"] for b in result["by_width"]]
        for key, name, ylabel in (
            ("fraction_pattern_changes", "pattern_changes_vs_m", "fraction of activation changes"),
            ("max_weight_move", "weight_move_vs_m", r"$\max_r\,\|w_r(t)-w_r(0)\|$"),
            ("max_kernel_drift_F", "kernel_drift_vs_m", r"$\max_t\,\|H(t)-H(0)\|_F$"),
        ):
            fig, ax = plt.subplots(figsize=(3.1, 2.4))  # 3.4 in with the labels
            ys = [b[key] for b in result["by_width"]]
            ax.loglog(ms, ys, "o-")
            slope = loglog_slope(ms, ys)
            ax.set_title(f"log–log slope {slope:.3f}", fontsize=8)
            if key == "max_kernel_drift_F":
                ax.axhline(result["lambda_star"] / 4, ls="--", color="k", lw=0.8,
                           label=r"$\lambda_*/4$ ($\tau_0$ of (15))")
                ax.legend(fontsize=7)
            ax.set_xlabel(r"width $m$")
            ax.set_ylabel(ylabel)
            save(fig, name)
    return paths
