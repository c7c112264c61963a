"""Nelder–Mead refinement of a failing (or nearly failing) claim instance.

Hypothesis finds and shrinks an instance with a small slack; :func:`refine` then moves the
instance's continuous parameters (see :func:`_parameters`) with SciPy's Nelder–Mead to make
the slack as small as it can, re-checking the premises at every evaluation, so that a
report shows the worst case found and not a barely failing one.  A point the refinement
reaches may lie off the claim's own strategy: the premises hold there, but an invariant the
claim does not declare may not.
"""

from __future__ import annotations

import math

import numpy as np

from .audit_budget import Deadline, SafetyStop
from .trial import try_instance

__all__ = ["refine"]

_MAX_DIM = 24  # Nelder–Mead dimension; larger parameter vectors move in a random subspace


def _block_kind(a: np.ndarray) -> str | None:
    """How a float array may move: ``"add"``, ``"sym"`` (stays symmetric) or ``None``
    (frozen: entries of one magnitude, such as the output layer ±1/√m, or all zero)."""
    mags = np.abs(a[a != 0])
    if mags.size == 0 or np.allclose(mags, mags[0], rtol=1e-12, atol=0):
        return None
    if a.ndim >= 2 and a.shape[-1] == a.shape[-2] and np.array_equal(a, np.swapaxes(a, -1, -2)):
        return "sym"
    return "add"


def _parameters(instance) -> list[tuple[str, str, np.ndarray, str]]:
    """The continuous parameters of an instance: ``(key, part, array, kind)``.

    Top-level floats move multiplicatively (``kind="mul"``: sign and zero are kept, so a
    δ > 0 stays positive); float arrays and network fields additively with their zero
    entries kept, symmetric ones kept symmetric, and arrays whose entries share one
    magnitude frozen; a SobolevProblem's x, y, V, h additively with unit rows and
    orthonormal frames restored.  Integers, booleans and strings (sizes, seeds, labels)
    never move.
    """
    from .problem import SobolevProblem

    out = []
    for key, v in instance.items():
        if isinstance(v, bool | np.bool_ | int | np.integer | str) or v is None:
            continue
        if isinstance(v, float | np.floating):
            if float(v) != 0.0 and math.isfinite(float(v)):
                out.append((key, "", np.array([float(v)]), "mul"))
        elif isinstance(v, np.ndarray) and v.dtype.kind == "f":
            kind = _block_kind(v)
            if kind:
                out.append((key, "", v.astype(np.float64), kind))
        elif isinstance(v, SobolevProblem):
            for part, a in zip("xyVh", v.host(), strict=True):
                if np.size(a):
                    out.append((key, part, np.asarray(a, dtype=np.float64), "free"))
        elif hasattr(v, "_fields") and type(v).__name__ in ("Network", "BiasedNetwork"):
            for part in v._fields:
                a = np.asarray(getattr(v, part))
                kind = _block_kind(a) if a.dtype.kind == "f" else None
                if kind:
                    out.append((key, part, a.astype(np.float64), kind))
    return out


def _move(a0: np.ndarray, kind: str, u: np.ndarray) -> np.ndarray:
    u = u.reshape(a0.shape)
    if kind == "mul":
        return a0 * np.exp(0.3 * u)
    step = 0.05 * np.maximum(np.abs(a0), 0.05)
    a = a0 + step * u if kind == "free" else np.where(a0 != 0, a0 + step * u, 0.0)
    return (a + np.swapaxes(a, -1, -2)) / 2 if kind == "sym" else a


def _rebuild(instance, params, u):
    """The instance moved by ``u`` (see :func:`_parameters`)."""
    from .problem import SobolevProblem

    new = dict(instance)
    pos = 0
    parts: dict[str, dict[str, np.ndarray]] = {}
    for key, part, a0, kind in params:
        parts.setdefault(key, {})[part] = _move(a0, kind, u[pos:pos + a0.size])
        pos += a0.size
    for key, fields in parts.items():
        old = instance[key]
        if isinstance(old, SobolevProblem):
            x, y, V, h = (fields.get(f, a) for f, a in zip("xyVh", old.host(), strict=True))
            x = x / np.linalg.norm(x, axis=1, keepdims=True)
            V = np.array(V, dtype=np.float64, copy=True)
            for i in range(V.shape[0]):
                if V.shape[2]:
                    q, r = np.linalg.qr(V[i])
                    V[i] = q * np.where(np.diag(r) < 0, -1.0, 1.0)
            new[key] = SobolevProblem(x, y, V, h)
        elif hasattr(old, "_fields"):
            new[key] = type(old)(**{f: fields.get(f, getattr(old, f)) for f in old._fields})
        elif isinstance(old, np.ndarray):
            new[key] = fields[""].astype(old.dtype)
        else:
            new[key] = float(fields[""][0])
    return new


def refine(claim, instance, chk, *, drop: str | None = None, dps: int = 30,
           max_evals: int = 200, seed: int = 0, deadline: Deadline | None = None):
    """Nelder–Mead on the slack from ``instance`` over its continuous parameters.

    Every evaluation rebuilds the instance, re-checks the premises (all but ``drop``) and
    runs the claim's check; an invalid point counts as +inf.  Returns the instance with
    the smallest slack seen (the start when nothing smaller was found), its check, and a
    record of the refinement.  The work is ``max_evals`` evaluations; ``deadline`` is only a
    safety stop (``info["stopped"] = "safety stop"`` when it fires).
    """
    info = {"method": "Nelder-Mead", "evaluations": 0, "slack_before": float(chk.slack),
            "slack_after": float(chk.slack), "improved": False, "dimension": 0}
    params = _parameters(instance)
    if max_evals <= 0 or not params or not math.isfinite(chk.slack):
        info["method"] = "none"
        return instance, chk, info
    from scipy.optimize import minimize

    D = sum(a.size for _, _, a, _ in params)
    rng = np.random.default_rng(seed)
    if D > _MAX_DIM:
        B = rng.standard_normal((D, _MAX_DIM)) / math.sqrt(_MAX_DIM)
        dim = _MAX_DIM
    else:
        B, dim = np.eye(D), D
    info["dimension"] = dim
    best = [float(chk.slack), instance, chk]
    deadline = deadline if deadline is not None else Deadline(None)

    def objective(z):
        deadline.check()
        info["evaluations"] += 1
        try:
            cand = _rebuild(instance, params, B @ z)
        except Exception:  # an invalid point (e.g. a degenerate frame): not a candidate
            return math.inf
        c = try_instance(claim, cand, drop=drop, dps=dps).check
        s = float(c.slack) if c is not None else math.inf
        if not math.isfinite(s):
            return math.inf
        if s < best[0]:
            best[:] = [s, cand, c]
        return s

    simplex = np.vstack([np.zeros(dim), np.eye(dim)])
    try:
        minimize(objective, np.zeros(dim), method="Nelder-Mead",
                 options={"maxfev": max_evals, "initial_simplex": simplex, "xatol": 1e-12,
                          "fatol": 1e-15})
    except SafetyStop:
        info["stopped"] = "safety stop"
    info["slack_after"] = best[0]
    info["improved"] = best[0] < float(chk.slack)
    return best[1], best[2], info
