"""Public Hypothesis strategies for Sobolev training instances.

House style: plural names, keyword-only options validated when the strategy is defined,
draws built so that shrinking reaches simple cases (axis-aligned points, frames with
``V_iᵀx_i = 0``, seed 0), while explicit branches reach the hard places: near-parallel
and near-antipodal pairs at exactly the requested separation, directions nearly inside
span(x_i), and ReLU ties ``w_rᵀx_i = 0``.

>>> from hypothesis import given, settings
>>> @settings(max_examples=5, database=None)
... @given(sobolev_problems(n=3, d=4, k=1, separation=0.2))
... def t(p):
...     assert p.delta1 >= 0.2 - 1e-12 and p.delta2 < 1.0
>>> t()
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from .network import Network
from .problem import SobolevProblem, frame_with_overlap

__all__ = [
    "network_initializations",
    "orthonormal_frames",
    "separated_points",
    "sobolev_problems",
    "unit_vectors",
]

_COORD = st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=64)


def _positive_int(name, v, low=1):
    if not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name}={v!r}; it must be an integer >= {low}")


def _unit(z: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    nz = float(np.linalg.norm(z))
    return fallback if nz < 1e-8 else z / nz


@st.composite
def _unit_vector(draw, d: int, base: np.ndarray):
    noise = np.array(draw(st.lists(_COORD, min_size=d, max_size=d)))
    return _unit(base + noise, base)


def unit_vectors(*, d: int) -> st.SearchStrategy[np.ndarray]:
    """Unit vectors in R^d; shrink towards e_1.

    >>> from hypothesis import find
    >>> find(unit_vectors(d=3), lambda v: True).tolist()
    [1.0, 0.0, 0.0]
    """
    _positive_int("d", d)
    return _unit_vector(d, np.eye(d)[0])


def _base_points(n: int, d: int) -> np.ndarray:
    # A fixed, well spread configuration the draws shrink to (deterministic, seed 0).
    rng = np.random.default_rng(0)
    pts = rng.standard_normal((n, d))
    pts[: min(n, d)] = np.eye(d)[: min(n, d)]
    return pts / np.linalg.norm(pts, axis=1, keepdims=True)


def _sep(x: np.ndarray, antipodal: bool) -> float:
    if len(x) < 2:
        return math.inf
    g = np.clip(x @ x.T, -1, 1)
    iu = np.triu_indices(len(x), 1)
    c = np.abs(g[iu]) if antipodal else g[iu]
    return float(np.sqrt(max(0.0, float(np.min(2 - 2 * c)))))


@st.composite
def _points(draw, n, d, separation, antipodal, scale):
    base = _base_points(n, d)
    x = np.stack([draw(_unit_vector(d, base[i] / max(scale, 1e-12))) for i in range(n)])
    if n >= 2 and separation > 0 and draw(st.booleans()):
        # hard place: put one pair at (just above) the requested separation, possibly
        # near-antipodal, by rotating x_j towards ±x_i in the plane of the two.
        i, j = draw(st.sampled_from([(a, b) for a in range(n) for b in range(n) if a != b]))
        sign = draw(st.sampled_from([1.0, -1.0]))
        target = sign * x[i]
        u = x[j] - (x[j] @ target) * target
        if np.linalg.norm(u) < 1e-8:
            u = np.eye(d)[int(np.argmin(np.abs(target)))] if d > 1 else target
            u = u - (u @ target) * target
        u = _unit(u, target)
        s = separation * (1.0 + draw(st.floats(0.0, 0.05)))
        theta = 2.0 * math.asin(min(1.0, s / 2.0))  # chord s ↔ angle theta
        x[j] = math.cos(theta) * target + math.sin(theta) * u
    return x


def separated_points(
    *, n: int, d: int, separation: float = 0.0, antipodal: bool = True
) -> st.SearchStrategy[np.ndarray]:
    """Point sets (n, d) of unit rows with δ1 ≥ ``separation`` (7), or δ̂1 when not ``antipodal`` (13).

    Half of the draws place one pair exactly at (up to 5 % above) the separation,
    near-parallel or near-antipodal.
    """
    _positive_int("n", n)
    _positive_int("d", d)
    if not 0.0 <= separation <= 2.0:
        raise ValueError(f"separation={separation!r}; it must lie in [0, 2]")
    return _points(n, d, separation, antipodal, 1.0).filter(
        lambda x: _sep(x, antipodal) >= separation
    )


@st.composite
def _frame(draw, x, k, max_overlap, near_span):
    if k == 0:
        return np.zeros((x.shape[0], 0))
    lim = float(max_overlap)
    if near_span is None:
        near_span = draw(st.booleans())
    # both branches make the same draws, so shrinking (shortlex on the choices) prefers
    # near_span=False and c = 0 rather than the branch with fewer choices
    offset = draw(st.floats(0.0, 0.02))
    free = np.array(draw(st.lists(st.floats(-lim, lim), min_size=k, max_size=k)))
    c = np.full(k, lim * (1.0 - offset)) if near_span else free
    norm_c = float(np.linalg.norm(c))
    if norm_c > 1.0:
        c = c / norm_c
    seed = draw(st.integers(0, 2**32 - 1))
    return frame_with_overlap(x, c, np.random.default_rng(seed))


def orthonormal_frames(
    x: np.ndarray, *, k: int, max_overlap: float = 0.0, near_span: bool | None = None
) -> st.SearchStrategy[np.ndarray]:
    """Frames V (d, k) with orthonormal columns and ``max_j |v_jᵀx| ≤ max_overlap`` (so δ2).

    ``near_span=True`` puts every |v_jᵀx| at (just below) ``max_overlap``: with
    ``max_overlap`` near 1/√k the directions lie nearly inside span(x).  Shrinks to
    ``Vᵀx = 0``.
    """
    _positive_int("k", k, low=0)
    x = np.asarray(x, dtype=float)
    if k and k + 1 > x.shape[0]:
        raise ValueError(f"k={k} needs d >= k + 1 = {k + 1}; got d = {x.shape[0]}")
    if not 0.0 <= max_overlap <= 1.0:
        raise ValueError(f"max_overlap={max_overlap!r}; it must lie in [0, 1]")
    return _frame(x, k, max_overlap, None if near_span is None else bool(near_span))


def _problem_premises(p: SobolevProblem, separation: float, assumption: int,
                      drop: str | None) -> bool:
    if drop != "separation":
        s = p.delta1 if assumption == 1 else p.delta1_hat
        if not s >= separation or not s > 0:
            return False
    if assumption == 1 and drop != "delta2" and p.k and not p.delta2 < 1.0 / p.k:
        return False
    return True


@st.composite
def _problems(draw, n, d, k, separation, assumption, drop, value_scale):
    nn = draw(st.integers(*n)) if isinstance(n, tuple) else n
    kk = draw(st.integers(*k)) if isinstance(k, tuple) else k
    # d >= k + 1 whenever k >= 1 (checked at definition against the largest k)
    dd = draw(st.integers(max(d[0], kk + 1 if kk else 1), d[1])) if isinstance(d, tuple) else d
    antipodal = assumption == 1
    if drop == "separation":
        x = draw(_points(nn, dd, 0.0, antipodal, 1.0))
        if nn >= 2 and draw(st.booleans()):
            # collide or oppose a pair: the degenerate configurations (7) rules out
            i, j = 0, 1
            eps = draw(st.sampled_from([0.0, 1e-9, 1e-6, 1e-3]))
            sign = draw(st.sampled_from([1.0, -1.0])) if antipodal else 1.0
            x[j] = _unit(sign * x[i] + eps * np.eye(dd)[-1], x[i])
    else:
        x = draw(_points(nn, dd, separation, antipodal, 1.0))
    if assumption == 1 and drop != "delta2":
        lim = (1.0 / kk) * (1.0 - 1e-6) if kk else 0.0
    else:
        lim = 1.0 / math.sqrt(kk) if kk else 0.0
    V = np.stack([draw(orthonormal_frames(x[i], k=kk, max_overlap=lim)) for i in range(nn)])
    y = np.array(draw(st.lists(st.floats(-value_scale, value_scale), min_size=nn, max_size=nn)))
    h = np.array(draw(st.lists(st.floats(-value_scale, value_scale),
                               min_size=nn * kk, max_size=nn * kk))).reshape(nn, kk)
    return SobolevProblem(x, y, V, h)


def sobolev_problems(
    *,
    n: int | tuple[int, int] = (2, 4),
    d: int | tuple[int, int] = (3, 5),
    k: int | tuple[int, int] = (0, 2),
    separation: float = 0.05,
    assumption: int = 1,
    drop: str | None = None,
    value_scale: float = 2.0,
) -> st.SearchStrategy[SobolevProblem]:
    """Whole problems satisfying Assumption 1 (or 2), or all of it but the premise ``drop``.

    Premises: ``"separation"`` (δ1 ≥ separation > 0, or δ̂1 for Assumption 2) and
    ``"delta2"`` (δ2 < 1/k, Assumption 1 only).  Sizes are ints or inclusive ranges
    ``(low, high)``; every size drawn lies in its range, and impossible combinations are
    refused when the strategy is defined, as the CLI refuses them:

    >>> sobolev_problems(k=5, d=3)
    Traceback (most recent call last):
    ...
    ValueError: k=5 with d=3; orthonormal frames with a prescribed V_iᵀx_i need d >= k + 1 = 6
    """
    if assumption not in (1, 2):
        raise ValueError(f"assumption={assumption!r}; it must be 1 or 2")
    allowed = {None, "separation"} | ({"delta2"} if assumption == 1 else set())
    if drop not in allowed:
        raise ValueError(f"drop={drop!r}; Assumption {assumption} premises are "
                         f"{sorted(a for a in allowed if a)}")
    if not 0.0 <= separation <= 2.0:
        raise ValueError(f"separation={separation!r}; it must lie in [0, 2]")
    for name, v in (("n", n), ("d", d), ("k", k)):
        lo = 0 if name == "k" else 1
        if isinstance(v, tuple) and (len(v) != 2 or v[0] > v[1]):
            raise ValueError(f"{name}={v!r}; a range must be (low, high) with low <= high")
        for part in (v if isinstance(v, tuple) else (v,)):
            _positive_int(name, part, low=lo)
    k_max = k[1] if isinstance(k, tuple) else k
    d_max = d[1] if isinstance(d, tuple) else d
    if k_max and k_max + 1 > d_max:
        # the same rule as `proofkit check --k --d`: a frame V_i with prescribed V_iᵀx_i
        # needs d >= k + 1; never draw a larger d than asked for
        raise ValueError(f"k={k!r} with d={d!r}; orthonormal frames with a prescribed "
                         f"V_iᵀx_i need d >= k + 1 = {k_max + 1}")
    if not (math.isfinite(value_scale) and value_scale > 0):
        raise ValueError(f"value_scale={value_scale!r}; it must be a finite number > 0")
    return _problems(n, d, k, separation, assumption, drop, value_scale).filter(
        lambda p: _problem_premises(p, separation, assumption, drop)
    )


@st.composite
def _networks(draw, m, x, ties):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((m, x.shape[1]))
    a = rng.choice(np.array([-1.0, 1.0]), size=m) / math.sqrt(m)
    if ties and draw(st.booleans()):
        # ReLU ties: project a few w_r onto x_i^⊥ so that w_rᵀx_i = 0 exactly (up to rounding)
        count = draw(st.integers(1, min(m, 3)))
        for r in range(count):
            i = draw(st.integers(0, x.shape[0] - 1))
            W[r] -= (W[r] @ x[i]) * x[i]
    return Network(W, a)


def network_initializations(
    *, m: int, x: np.ndarray | None = None, d: int | None = None, ties: bool = False
) -> st.SearchStrategy[Network]:
    """Initialisations (9) of width ``m``; with ``ties=True`` and points ``x``, some draws
    put ``w_rᵀx_i = 0`` for a few (r, i).  Shrinks to seed 0."""
    _positive_int("m", m)
    if x is None:
        if d is None:
            raise ValueError("network_initializations needs the points x or the dimension d")
        x = np.eye(d)[:1]
    return _networks(m, np.asarray(x, dtype=float), ties)
