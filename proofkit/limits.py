"""Limits on command-line sizes, precisions and times, checked before any work starts.

Every refusal is an :class:`~proofkit.errors.InputError` naming the option and the rule, so
the command line prints one line and exits 2.  The caps (documented in ``docs/safety.md``):

- integers: seeds ``>= 0``; sizes ``>= 1``; ``--dps`` in [15, :data:`MAX_DPS`];
- floats: finite, and ``> 0`` for times, steps and tolerances; ``--t-max <=``
  :data:`MAX_T_MAX`; GD steps ``t_max/η <=`` :data:`MAX_GD_STEPS`; ``--delta`` in
  [:data:`MIN_DELTA`, 1) (below it the proof's width constants, ∝ δ^-3, overflow float64);
- memory: an estimate of the arrays a run holds must fit in half the machine's memory
  (:func:`memory`), and the kernel side N = n(k+1) is capped (:data:`MAX_KERNEL_ROWS`).
"""

from __future__ import annotations

import math
import os

from . import arguments
from .errors import InputError

__all__ = ["MAX_CHECK_ROWS", "MAX_COUNT", "MAX_DPS", "MAX_GD_STEPS", "MAX_KERNEL_ROWS",
           "MAX_ROWS", "MAX_T_MAX", "MIN_DELTA", "delta", "flow_bytes", "integer",
           "machine_memory", "memory", "positive", "seed", "sizes"]

MAX_DPS = arguments.MAX_DPS
MAX_T_MAX = 1e5
MAX_GD_STEPS = arguments.MAX_STEPS
MIN_DELTA = 1e-50
MAX_KERNEL_ROWS = 2000  # flow/sweep: the N×N kernel is diagonalised at every recorded row
MAX_CHECK_ROWS = 256  # check: mpmath works on N×N matrices at --dps digits
MAX_ROWS = 10_000  # recorded rows of a trajectory
MAX_COUNT = 10**6  # examples, evaluations, runs of a sweep


def _opt(name: str) -> str:
    return name if name.startswith("-") else f"--{name.replace('_', '-')}"


def integer(name: str, v, low: int, high: int | None = None) -> int:
    """``v`` as an int in ``[low, high]``; ``InputError`` naming ``--name`` otherwise."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise InputError(f"{_opt(name)} {v!r}; it must be an integer")
    if v < low or (high is not None and v > high):
        rule = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(f"{_opt(name)} {v}; it must be an integer {rule}")
    return v


def seed(name: str, v) -> int:
    """Seeds are integers >= 0 (negative seeds are refused everywhere)."""
    return integer(name, v, 0)


def positive(name: str, v, *, high: float | None = None, below_one: bool = False) -> float:
    """A finite float ``> 0`` (``< 1`` with ``below_one``, ``<= high`` when given)."""
    if v is None:
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{_opt(name)} {v!r}; it must be a number") from None
    if not (math.isfinite(f) and f > 0):
        raise InputError(f"{_opt(name)} {v!r}; it must be a finite number > 0")
    if below_one and f >= 1:
        raise InputError(f"{_opt(name)} {v!r}; it must be < 1")
    if high is not None and f > high:
        raise InputError(f"{_opt(name)} {v!r}; it must be <= {high:g}")
    return f


def delta(v) -> float:
    """The failure probability δ: in [:data:`MIN_DELTA`, 1)."""
    f = positive("delta", v, below_one=True)
    if f < MIN_DELTA:
        raise InputError(f"--delta {v!r}; it must be >= {MIN_DELTA:g} (the width constants "
                         "grow like δ^-3 and would overflow float64)")
    return f


def machine_memory() -> int | None:
    """Bytes of physical memory, or ``None`` where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _gib(b: float) -> str:
    return f"{b / 2**30:.3g} GiB"


def memory(what: str, nbytes: float) -> None:
    """Refuse when ``nbytes`` (an estimate) exceeds half the machine's memory."""
    total = machine_memory()
    if total is not None and nbytes > total / 2:
        raise InputError(f"{what} needs about {_gib(nbytes)} of memory; at most half of this "
                         f"machine's {_gib(total)} may be used")


def flow_bytes(n: int, d: int, k: int, m: int) -> float:
    """A generous estimate of a flow's arrays: ~100 copies of the (m, d+1) weights (ODE
    stages, kept snapshots), the (m, n) activation products, and N×N kernels."""
    N = n * (k + 1)
    return 8.0 * (100 * m * (d + 1) + 8 * m * n + 16 * N * N + 4 * n * d * (k + 1))


def sizes(n: int, d: int, k: int, m: int | None, *, max_rows: int, what: str = "") -> None:
    """``--n/--d/--k/--m`` of one instance: ranges, d >= k + 1, the kernel cap, memory."""
    integer("n", n, 1)
    integer("d", d, 1)
    integer("k", k, 0)
    if m is not None:
        integer("m", m, 1)
    if k + 1 > d:
        raise InputError(f"--k {k} with --d {d}; orthonormal frames with a prescribed "
                         "V_iᵀx_i need d >= k + 1")
    N = n * (k + 1)
    if N > max_rows:
        raise InputError(f"--n {n} with --k {k} gives a kernel of side n(k+1) = {N}; "
                         f"{what}it must be <= {max_rows}")
    memory(f"--n {n} --d {d} --k {k}" + (f" --m {m}" if m is not None else ""),
           flow_bytes(n, d, k, m or 1))


def flow_options(args, widths: list[int] | None = None, seeds: list[int] | None = None) -> None:
    """Every option of ``proofkit flow`` (``widths``/``seeds`` given: ``sweep``), checked
    before any work; ``--out`` must be a folder proofkit may write into."""
    m = max(widths) if widths else getattr(args, "m", None)
    if widths is not None and seeds is not None and len(widths) * len(seeds) > MAX_ROWS:
        raise InputError(f"--widths x --seeds is {len(widths) * len(seeds)} runs; at most "
                         f"{MAX_ROWS}")
    sizes(args.n, args.d, args.k, m, max_rows=MAX_KERNEL_ROWS,
          what="the N×N kernel is diagonalised at every recorded time, so ")
    seed("problem-seed", args.problem_seed)
    if getattr(args, "seed", None) is not None:
        seed("seed", args.seed)
    if args.separation is not None:
        sep = float(args.separation)
        if not (math.isfinite(sep) and 0 <= sep <= 2):
            raise InputError(f"--separation {args.separation!r}; it must lie in [0, 2] "
                             "(unit vectors)")
    t_max = positive("t-max", args.t_max, high=MAX_T_MAX)
    eta = positive("eta", args.eta)
    delta(args.delta)
    positive("rtol", getattr(args, "rtol", None), below_one=True)
    positive("atol", getattr(args, "atol", None))
    if getattr(args, "rows", None) is not None:
        integer("rows", args.rows, 1, MAX_ROWS)
    if t_max is not None and eta is not None and args.integrator == "gd":
        arguments.gd_steps(t_max, eta)  # refused here as run_flow refuses it, before any work
    if args.out is not None:
        from .outdir import check_folder

        check_folder(args.out, "--out", replace=False)
