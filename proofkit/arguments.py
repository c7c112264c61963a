"""Checks of public arguments, shared by every API function.

Each check returns the argument in a canonical form or raises
:class:`~proofkit.errors.ArgumentError` (a :class:`~proofkit.errors.ProblemError`, hence a
``ValueError``) whose message names the argument, the index where relevant, and the rule.
They run once per public call, never inside a hot loop.

Conventions (the same for every public function):

- **Arrays.** NumPy arrays, arrays of another array-API namespace (CuPy,
  ``array_api_strict``) and nested lists or tuples of real numbers are accepted; lists are
  converted with ``numpy.asarray`` (to the problem's namespace where there is one) and
  integers become float64.  Complex, boolean, text, object (ragged or mixed) and datetime
  arrays are refused, never cast: a cast would drop an imaginary part or invent numbers.
- **Weights and data** must be finite; the first NaN or inf is named with its index.
- **Seeds** are an integer ``>= 0`` or a ``numpy.random.Generator``.  ``None``, negative
  integers, floats, strings and booleans are refused: every run is seeded.
- **Budgets** are counts with explicit caps: :data:`MAX_STEPS` GD steps,
  :data:`MAX_ROWS` recorded rows, :data:`MAX_DPS` mpmath digits.

>>> integer("m", 0, minimum=1)
Traceback (most recent call last):
...
proofkit.errors.ArgumentError: m = 0; it must be an integer >= 1
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .errors import ArgumentError

__all__ = [
    "MAX_DPS",
    "MAX_ROWS",
    "MAX_STEPS",
    "alpha",
    "finite",
    "flow_budget",
    "gd_steps",
    "integer",
    "network",
    "one_of",
    "positive",
    "problem",
    "real",
    "real_array",
    "seed",
]

MAX_STEPS = 1_000_000  # 1e7 GD steps at the default η run for many minutes
"""Most GD steps ``ceil(t_max/eta)`` one run may take."""
MAX_ROWS = 1_000_000
"""Most rows (recording times) one trajectory may hold."""
MAX_DPS = 10_000
"""Most decimal digits an mpmath route may be asked for."""

_KIND = {"c": "complex", "b": "boolean", "U": "text", "S": "bytes", "O": "Python objects",
         "M": "datetimes", "m": "timedeltas", "V": "raw records"}


def _show(v: Any) -> str:
    if isinstance(v, (np.generic,)):
        v = v.item()
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _interval(low, high, low_open, high_open) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "finite"


def integer(name: str, v: Any, *, minimum: int, maximum: int | None = None,
            what: str = "it") -> int:
    """``v`` as an ``int`` in ``[minimum, maximum]``; booleans and floats are refused.

    ``what`` names the quantity in the message (``"m = 0; the width must be ..."``).
    """
    rule = what + " must be " + f"an integer >= {minimum}" + (
        f" and <= {maximum:,}" if maximum is not None else "")
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ArgumentError(f"{name} = {_show(v)}; {rule}")
    if v < minimum or (maximum is not None and v > maximum):
        raise ArgumentError(f"{name} = {_show(v)}; {rule}")
    return int(v)


def real(name: str, v: Any, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """``v`` as a finite ``float`` in the given interval (NaN, inf, text and bools refused)."""
    rule = "a finite number" + ("" if low is None and high is None else " " + _interval(
        low, high, low_open, high_open))
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise ArgumentError(f"{name} = {_show(v)}; it must be {rule}")
    f = float(v)
    bad = (not math.isfinite(f)
           or (low is not None and (f <= low if low_open else f < low))
           or (high is not None and (f >= high if high_open else f > high)))
    if bad:
        raise ArgumentError(f"{name} = {_show(v)}; it must be {rule}")
    return f


def positive(name: str, v: Any) -> float:
    """A finite number ``> 0`` (step sizes, times, tolerances)."""
    return real(name, v, low=0.0, low_open=True)


def alpha(v: Any) -> float:
    """The α of Section 2.1's lifting, a number in (0, 1)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not 0.0 < float(v) < 1.0:
        raise ArgumentError(f"alpha = {_show(v)}; Section 2.1 needs alpha in (0, 1)")
    return float(v)


def seed(v: Any, name: str = "seed"):
    """An ``int >= 0`` or a ``numpy.random.Generator``, returned unchanged (ints as ``int``)."""
    if isinstance(v, np.random.Generator):
        return v
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ArgumentError(f"{name} = {_show(v)}; it must be an integer >= 0 or a "
                            "numpy.random.Generator (every run is seeded)")
    return int(v)


def one_of(name: str, v: Any, options) -> Any:
    """``v`` when it is one of ``options`` (compared with ``==``)."""
    if not any(isinstance(v, type(o)) and v == o for o in options):
        raise ArgumentError(f"{name} = {_show(v)}; it must be one of "
                            f"{', '.join(repr(o) for o in options)}")
    return v


def problem(v: Any, name: str = "problem"):
    """``v`` when it is a :class:`~proofkit.problem.SobolevProblem`."""
    from .problem import SobolevProblem

    if not isinstance(v, SobolevProblem):
        raise ArgumentError(f"{name} is a {type(v).__name__}; it must be a SobolevProblem "
                            "(build one with SobolevProblem(x, y, V, h) or random_problem)")
    return v


def real_array(name: str, value: Any, *, ndim: int | None = None, shape: str = "",
               xp=None, error: type[ValueError] = ArgumentError):
    """``value`` as an array of real numbers (integers become float64).

    ``ndim`` is checked when given (``shape`` is the expected shape in words, e.g.
    ``"(m, d)"``); lists go to ``xp`` (NumPy when omitted); ``error`` is the class raised.
    """
    if value is None:
        raise error(f"{name} is None; it must be an array of real numbers")
    if isinstance(value, (np.ndarray, list, tuple, numbers.Number, np.generic)):
        try:
            a = np.asarray(value)
        except (ValueError, TypeError) as exc:
            raise error(f"{name} is ragged or not numeric ({str(exc).splitlines()[0]}); it "
                        "must be an array of real numbers") from None
        kind = a.dtype.kind
        if kind in "iu":
            a = a.astype(np.float64)
        elif kind != "f":
            raise error(f"{name} has dtype {a.dtype} ({_KIND.get(kind, kind)}); it must hold "
                        "real numbers (float or int)")
        if xp is not None and not isinstance(value, np.ndarray) \
                and not xp.__name__.endswith("numpy"):
            a = xp.asarray(a)
    else:
        try:
            from array_api_compat import array_namespace

            ns = array_namespace(value)
        except TypeError:
            raise error(f"{name} is a {type(value).__name__}; it must be an array of real "
                        "numbers") from None
        if ns.isdtype(value.dtype, "real floating"):
            a = value
        elif ns.isdtype(value.dtype, "integral"):
            a = ns.astype(value, ns.float64)
        else:
            raise error(f"{name} has dtype {value.dtype}; it must hold real numbers (float or "
                        "int)")
    if ndim is not None and a.ndim != ndim:
        raise error(f"{name} has shape {tuple(a.shape)}; it must be {shape or f'{ndim}-D'}")
    return a


def finite(name: str, a, error: type[ValueError] = ArgumentError) -> None:
    """Raise naming ``name[index]`` of the first NaN or inf entry of ``a``.

    The fast test is the sum (a NaN or inf entry makes it non-finite): no temporary the size
    of ``a``; only a non-finite sum (or an overflow) pays for locating the entry.
    """
    if isinstance(a, np.ndarray):
        if math.isfinite(float(np.sum(a))):
            return
        host = a
    else:
        from array_api_compat import array_namespace

        ns = array_namespace(a)
        if math.isfinite(float(ns.sum(a))):
            return
        from .backend import to_numpy

        host = np.asarray(to_numpy(a))
    bad = np.argwhere(~np.isfinite(host))
    if not bad.size:
        return  # the sum overflowed; every entry is finite
    idx = tuple(int(i) for i in bad[0])
    raise error(f"{name}{list(idx)} is {float(host[idx])}; entries must be finite (no NaN or inf)")


def network(prob, W, a, b=None, *, bias: bool = False):
    """Checked weights of network (4) (``bias=False``: ``(W, a)``) or (10) (``(W, b, a)``).

    ``W`` is (m, d) with ``d = problem.d`` and ``m >= 1``; ``a`` and ``b`` are (m,); all
    entries finite.  Lists are converted to the problem's namespace.  ``a = None`` (without
    ``bias``) checks ``W`` alone and returns ``(W, None)``.
    """
    from .backend import namespace

    problem(prob)
    xp = namespace(prob.x)
    W = real_array("W", W, ndim=2, shape="(m, d)", xp=xp)
    m, d = W.shape
    if d != prob.d:
        raise ArgumentError(f"W has shape {tuple(W.shape)}; it must be (m, d) with d = "
                            f"{prob.d}, the dimension of the problem's points")
    if m < 1:
        raise ArgumentError(f"W has shape {tuple(W.shape)}; the width m must be >= 1")
    out = [W]
    for nm, v in ((("b", b),) if bias else ()) + (("a", a),):
        if v is None and nm == "a" and a is None and not bias:
            continue  # only W is asked for (activation pattern, H(W) with a_r² = 1/m)
        v = real_array(nm, v, ndim=1, shape="(m,)", xp=xp)
        if v.shape[0] != m:
            what = "one bias" if nm == "b" else "one output weight"
            raise ArgumentError(f"{nm} has length {v.shape[0]}; it must have length m = {m} "
                                f"({what} per row of W)")
        out.append(v)
    for nm, v in zip(("W", "b", "a") if bias else ("W", "a"), out, strict=False):
        finite(nm, v)
    return tuple(out) if len(out) > 1 or a is not None else (W, None)


def net_tuple(prob, net, *, bias: bool = False):
    """A checked ``(W, a)`` (or ``(W, b, a)`` with ``bias``) from a Network-like sequence."""
    want = 3 if bias else 2
    if not isinstance(net, (tuple, list)) or len(net) != want:
        got = f"{len(net)} arrays" if isinstance(net, (tuple, list)) else f"a {type(net).__name__}"
        raise ArgumentError(f"net is {got}; bias={bias} needs {want} arrays "
                            f"({'W, b, a' if bias else 'W, a'})")
    if bias:
        W, b, a = network(prob, net[0], net[2], net[1], bias=True)
        return W, b, a
    return network(prob, net[0], net[1])


def flow_budget(*, t_max, rows=200, times=None, eta=None, rtol=None, atol=None,
                max_events=None) -> float:
    """Check the time and budget arguments of a flow; returns ``t_max`` as a float.

    ``t_max`` finite and > 0; ``rows`` in [1, MAX_ROWS]; ``times`` finite and >= 0 (those
    beyond ``t_max`` are clipped by the integrators), at most MAX_ROWS of them; ``eta``,
    ``rtol``, ``atol`` finite and > 0; ``ceil(t_max/eta) <= MAX_STEPS``; ``max_events`` >= 1.
    """
    t_max = positive("t_max", t_max)
    integer("rows", rows, minimum=1, maximum=MAX_ROWS)
    if times is not None:
        tt = real_array("times", times)
        if tt.ndim > 1:
            raise ArgumentError(f"times has shape {tuple(tt.shape)}; it must be 1-D")
        if tt.size > MAX_ROWS:
            raise ArgumentError(f"times has {tt.size:,} entries; at most {MAX_ROWS:,} rows")
        finite("times", tt)
        neg = np.nonzero(np.asarray(tt).reshape(-1) < 0)[0]
        if neg.size:
            raise ArgumentError(f"times[{int(neg[0])}] = {float(np.asarray(tt).reshape(-1)[neg[0]])}"
                                "; recording times must be >= 0")
    for nm, v in (("rtol", rtol), ("atol", atol)):
        if v is not None:
            positive(nm, v)
    if max_events is not None:
        integer("max_events", max_events, minimum=1)
    if eta is not None:
        eta = positive("eta", eta)
        steps = math.ceil(t_max / eta - 1e-9)
        if steps > MAX_STEPS:
            raise ArgumentError(f"t_max/eta = {t_max:g}/{eta:g} needs {steps:,} GD steps; at most "
                                f"{MAX_STEPS:,} are allowed (raise eta or lower t_max)")
    return t_max


def gd_steps(t_max: float, eta: float) -> int:
    """GD steps ``ceil(t_max/η)``, refused above :data:`MAX_STEPS`."""
    steps = t_max / eta
    if not steps <= MAX_STEPS:
        raise ArgumentError(f"--t-max {t_max:g} with GD step --eta {eta:g} is {steps:.3g} "
                            f"steps; t_max/eta must be <= {MAX_STEPS:.0e}")
    return max(1, math.ceil(steps))
