"""The benchmark runner: sizes per mode, every row in order, table and Markdown output."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from ._common import Mismatch, skipped

__all__ = ["SIZES", "Sizes", "format_markdown", "format_table", "run_all"]


@dataclass(frozen=True)
class Sizes:
    """Sizes and repeats of one run mode; shapes are ``(m, d, n, k)``.

    ``gd_widths``, ``gd_steps`` and ``gd_repeat`` go together: rows 1 and 2 are measured at
    each width, timing ``run_flow`` over that many steps, that many interleaved rounds.
    """

    gd_widths: tuple = (100_000, 1_000_000)
    gd_dnk: tuple = (50, 20, 3)  # (d, n, k)
    gd_steps: tuple = (40, 16)
    gd_repeat: tuple = (9, 5)
    kernel: tuple = (10_000, 50, 20, 3)
    kernel_repeat: int = 9
    naive_repeat: int = 3
    flow: tuple = (50, 5, 4, 2)
    flow_t_max: float = 0.3
    flow_repeat: int = 3
    certify: tuple = (50, 50, 3)  # (n, d, k): N = n(k+1) = 200
    scaling_widths: tuple = (1_000, 10_000, 100_000, 1_000_000)
    scaling_d: tuple = (50, 20, 3)  # (d, n, k)
    scaling_repeat: int = 7
    memory_m: int | None = 1_000_000
    audits: tuple = ("quick", "default")
    audit_timeout: dict = field(default_factory=lambda: {"quick": 180.0, "default": 900.0})
    skipped_audits: tuple = ()


SIZES = {
    "full": Sizes(),
    "quick": Sizes(gd_steps=(20, 8), gd_repeat=(5, 5), kernel=(5_000, 50, 20, 3),
                   kernel_repeat=5, naive_repeat=1, flow_repeat=2,
                   scaling_widths=(1_000, 10_000, 100_000), scaling_repeat=5,
                   audits=("quick",), audit_timeout={"quick": 90.0},
                   skipped_audits=("default",)),
    # toy sizes for the smoke test: every code path, a few seconds in all
    "toy": Sizes(gd_widths=(500,), gd_dnk=(6, 4, 2), gd_steps=(3,), gd_repeat=(2,),
                 kernel=(200, 6, 4, 2), kernel_repeat=2, naive_repeat=1, flow=(20, 4, 3, 1),
                 flow_t_max=0.05, flow_repeat=1, certify=(5, 4, 1), scaling_widths=(100, 1_000),
                 scaling_d=(6, 4, 2), scaling_repeat=1, memory_m=2_000, audits=(),
                 skipped_audits=()),
}


def _guard(names: list[tuple[str, str, str]], fn: Callable[[], object]) -> list[dict]:
    """Run one benchmark; a :class:`Mismatch` or crash becomes skipped rows with the reason.

    ``names`` lists ``(name, unit, target)`` of the rows the benchmark would produce.
    """
    try:
        out = fn()
    except Mismatch as exc:
        return [skipped(n, u, t, f"the two sides disagree, no time reported: {exc}")
                for n, u, t in names]
    except Exception as exc:  # a broken row must not hide the others
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return [skipped(n, u, t, f"benchmark failed: {type(exc).__name__}: {exc} "
                        f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})")
                for n, u, t in names]
    return list(out) if isinstance(out, list) else [out]


def run_all(sizes: Sizes, *, progress: Callable[[str], None] | None = None,
            threads: int | None = None) -> dict:
    """Run every row at ``sizes``; ``{"results": [...], "machine": {...}, "elapsed_s": t}``.

    ``threads`` caps NumPy's BLAS (threadpoolctl) and torch at that many threads for the
    whole run; the machine record says which count was used.
    """
    if threads is None:
        return _run_all(sizes, progress)
    import importlib.util

    import scipy.linalg  # noqa: F401  (SciPy's own BLAS, loaded now so that the limit covers it)
    from threadpoolctl import threadpool_limits

    if importlib.util.find_spec("torch") is not None:
        import torch  # noqa: F401  (its OpenMP pool, likewise)

    with threadpool_limits(limits=int(threads)):
        return _run_all(sizes, progress)


def _run_all(sizes: Sizes, progress) -> dict:
    from . import audit, certify, flow, gd_step, kernel
    from . import limit as limit_row
    from .machine import describe

    say = progress or (lambda _msg: None)
    load_at_start = describe()["load_average"]  # before our own work (the audit forks)
    t0 = time.perf_counter()
    d, n, k = sizes.gd_dnk
    steps = []
    for m, st, rep in zip(sizes.gd_widths, sizes.gd_steps, sizes.gd_repeat, strict=True):
        steps.append((f"1-2 GD step at m={m}: products, torch",
                      [(f"GD step / its products (m={m})", "x", gd_step.RATIO_TARGET),
                       (f"GD step speed-up over torch double backprop (m={m})", "x",
                        gd_step.TORCH_TARGET)],
                      lambda m=m, st=st, rep=rep: gd_step.bench_gd(m, d, n, k, steps=st,
                                                                   repeat=rep)))
    steps += [
        ("3 empirical kernel vs jacrev J Jᵀ", [(kernel.NAME, "x", kernel.TARGET)],
         lambda: kernel.bench_kernel(*sizes.kernel, repeat=sizes.kernel_repeat,
                                     naive_repeat=sizes.naive_repeat)),
        ("4 exact flow vs DOP853", [(flow.ACC_NAME, "abs", flow.ACC_TARGET),
                                    (flow.TIME_NAME, "x", flow.TIME_TARGET)],
         lambda: flow.bench_flow(*sizes.flow, t_max=sizes.flow_t_max,
                                 repeat=sizes.flow_repeat)),
        ("5 certified λ*", [(certify.NAME, "s", certify.TARGET)],
         lambda: certify.bench_certified_lambda(*sizes.certify)),
        ("6 scaling and memory", [("GD step scaling exponent in m", "log-log slope", "<= 1.1"),
                                  ("run_flow(integrator='gd') peak memory", "GB", "<= 1.5")],
         lambda: gd_step.bench_scaling(sizes.scaling_widths, *sizes.scaling_d,
                                       repeat=sizes.scaling_repeat, memory_m=sizes.memory_m)),
        ("8 limit generator", [(limit_row.NAME, "s", limit_row.TARGET)],
         lambda: limit_row.bench_limit_generator()),
    ]
    for budget in sizes.audits:
        steps.append((f"7 audit {budget}",
                      [(f"proofkit audit --budget {budget}", "s", audit.TARGETS[budget])],
                      lambda b=budget: audit.bench_audit(b, timeout=sizes.audit_timeout[b])))
    results = []
    for label, names, fn in steps:
        say(f"[{time.perf_counter() - t0:6.1f} s] {label} ...")
        results.extend(_guard(names, fn))
    for budget in sizes.skipped_audits:
        results.append(skipped(f"proofkit audit --budget {budget}", "s",
                               audit.TARGETS[budget],
                               "not run in --quick mode (it may take up to 5 minutes); "
                               "run `python -m benchmarks` without --quick"))
    return {"results": results, "machine": describe() | {"load_average": load_at_start},
            "elapsed_s": time.perf_counter() - t0}


def _fmt(value) -> str:
    if value is None:
        return "—"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4g}"


def _verdict(r: dict) -> str:
    return {True: "met", False: "MISSED", None: "skipped"}[r["met"]]


def format_table(report: dict) -> str:
    """Plain-text table of the rows, one line each, reasons of skipped rows below."""
    lines = [f"{'benchmark':<48} {'value':>11} {'unit':<14} {'target':<9} result"]
    for r in report["results"]:
        lines.append(f"{r['name']:<48} {_fmt(r['value']):>11} {r['unit']:<14} "
                     f"{r['target']:<9} {_verdict(r)}")
    for r in report["results"]:
        if r.get("reason"):
            lines.append(f"  {r['name']}: {r['reason']}")
    return "\n".join(lines)


def format_markdown(report: dict, *, mode: str, command: str) -> str:
    """``docs/performance.md``: machine, date, table and per-row details."""
    import json

    mach = report["machine"]
    blas = mach.get("blas", {})
    out = [
        "# Performance",
        "",
        f"<!-- generated by `{command}`; do not edit by hand -->",
        "",
        f"Generated by `{command}` ({mode} mode) on {mach['date']}, in "
        f"{report['elapsed_s']:.0f} s. Ratios are measured in the same run (medians of "
        "per-round ratios of interleaved rounds, spread = min–max over the rounds), so they "
        "hold better than absolute times on a shared machine. "
        "See `benchmarks/README.md` for what each row measures.",
        "",
        "## Machine",
        "",
        f"- CPU: {mach['cpu']} — {mach['cores']} logical cores ({mach['usable_cores']} usable)",
        f"- Platform: {mach['platform']}",
        f"- Python {mach['python']}, NumPy {mach['numpy']}, SciPy {mach['scipy']}, "
        f"torch {mach['torch'] or 'not installed'}, python-flint {mach['python_flint']}",
        f"- BLAS: {blas.get('name')} {blas.get('version')}, {mach['blas_threads']} threads "
        f"({mach['blas_threads_source']})",
        f"- Load average (1, 5, 15 min) when the run started: {mach.get('load_average')}"
        + (" — **the machine was busy: absolute times are inflated and ratios that pit a "
           "large multithreaded BLAS call against small kernels (row 3) are distorted**"
           if (mach.get("load_average") or [0])[0] > mach["usable_cores"] else ""),
        "",
        "## Results",
        "",
        "| benchmark | value | spread | unit | target | result |",
        "| --- | ---: | --- | --- | --- | --- |",
    ]
    for r in report["results"]:
        cell = r["name"].replace("|", "\\|")
        spread = r.get("spread")
        sp = f"{_fmt(spread[0])}–{_fmt(spread[1])}" if spread else "—"
        out.append(f"| {cell} | {_fmt(r['value'])} | {sp} | {r['unit']} | {r['target']} | "
                   f"{_verdict(r)} |")
    out += ["", "## Details", ""]
    for r in report["results"]:
        out.append(f"### {r['name']}")
        out.append("")
        if r.get("reason"):
            out.append(f"Reason: {r['reason']}")
            out.append("")
        if r.get("detail"):
            out += ["```json", json.dumps(r["detail"], indent=1, ensure_ascii=False), "```", ""]
    return "\n".join(out).rstrip() + "\n"
