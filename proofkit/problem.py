"""Sobolev training data (2), validated once, with the derived constants of Section 2.

A :class:`SobolevProblem` holds ``x`` (n, d), ``y`` (n,), ``V`` (n, d, k) and
``h`` (n, k).  It is frozen and checked at construction: finite entries,
consistent shapes, unit rows of ``x`` (Assumption 1 normalisation) and
orthonormal columns of every ``V_i``.  The separation conditions (7), (8) and
(13) are *not* enforced -- they are premises that claims test -- but their
constants are exposed as properties.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import arguments
from .backend import namespace, to_numpy, tolerance
from .errors import ProblemError

__all__ = ["ProblemError", "SobolevProblem", "from_function", "lift_bias", "random_problem"]


def _check_finite(name: str, a: np.ndarray) -> None:
    bad = np.argwhere(~np.isfinite(a))
    if bad.size:
        idx = tuple(int(i) for i in bad[0])
        raise ProblemError(f"{name}{list(idx)} is {float(a[idx])}; entries must be finite (no NaN or inf)")


def _validate(x: np.ndarray, y: np.ndarray, V: np.ndarray, h: np.ndarray, tol: float) -> None:
    if x.ndim != 2:
        raise ProblemError(f"x has shape {x.shape}; it must be (n, d)")
    n, d = x.shape
    if n < 1 or d < 1:
        raise ProblemError(f"x has shape {x.shape}; need n >= 1 points in d >= 1 dimensions")
    if y.shape != (n,):
        raise ProblemError(f"y has shape {y.shape}; it must be (n,) = ({n},) to match x")
    if V.ndim != 3 or V.shape[:2] != (n, d):
        raise ProblemError(f"V has shape {V.shape}; it must be (n, d, k) = ({n}, {d}, k)")
    k = V.shape[2]
    if k > d:
        raise ProblemError(f"V has k = {k} columns in d = {d} dimensions; orthonormal columns need k <= d")
    if h.shape != (n, k):
        raise ProblemError(f"h has shape {h.shape}; it must be (n, k) = ({n}, {k}) to match V")
    for name, a in (("x", x), ("y", y), ("V", V), ("h", h)):
        _check_finite(name, a)
    norms = np.linalg.norm(x, axis=1)
    off = np.abs(norms - 1.0)
    i = int(np.argmax(off))
    if off[i] > tol:
        raise ProblemError(
            f"x[{i}] has norm {norms[i]:.12g}; Assumption 1 needs unit rows (|norm - 1| <= {tol:.1e})"
        )
    if k:
        gram = np.einsum("idk,idl->ikl", V, V) - np.eye(k)
        dev = np.abs(gram).reshape(n, -1).max(axis=1)
        i = int(np.argmax(dev))
        if dev[i] > tol:
            a_, b_ = np.unravel_index(int(np.argmax(np.abs(gram[i]))), (k, k))
            raise ProblemError(
                f"V[{i}] has columns {a_},{b_} with inner product {gram[i][a_, b_] + (a_ == b_):.12g}; "
                f"the columns of each V_i must be orthonormal (|V_i^T V_i - I| <= {tol:.1e})"
            )


@dataclass(frozen=True, eq=False)
class SobolevProblem:
    """Directional Sobolev training data ``{x_i, y_i, V_i, h_i}`` of eq. (2).

    Parameters
    ----------
    x : array (n, d)
        Input points; each row must have unit norm.
    y : array (n,)
        Function values ``y_i = f*(x_i)``.
    V : array (n, d, k)
        Frames; the ``k`` columns of each ``V[i]`` must be orthonormal.  ``k = 0``
        (standard training) is allowed.
    h : array (n, k)
        Directional derivatives ``h_i = V_i^T grad f*(x_i)``.
    tol : float, optional
        Tolerance of the unit-norm and orthonormality checks.  Default ``sqrt(eps)`` of the
        coarsest float dtype of ``x`` and ``V``: 1.5e-8 for float64, 3.5e-4 for float32, so
        float32 unit data is accepted and a truly non-unit row is still refused.

    Arrays keep their namespace (NumPy, CuPy, array_api_strict); validation runs on a
    host copy.  NumPy data (and nested lists of numbers, which are accepted) is stored as
    read-only float64.  Complex, boolean, text and object arrays are refused with a
    :class:`ProblemError` naming the field, never cast.

    >>> import numpy as np
    >>> p = SobolevProblem(np.eye(2), np.zeros(2), np.zeros((2, 2, 0)), np.zeros((2, 0)))
    >>> (p.n, p.d, p.k, p.N), round(p.delta1, 6)
    ((2, 2, 0, 2), 1.414214)
    """

    x: Any
    y: Any
    V: Any
    h: Any
    tol: float | None = None

    def __post_init__(self) -> None:
        arrays = [arguments.real_array(name, a, error=ProblemError)
                  for name, a in zip("xyVh", (self.x, self.y, self.V, self.h), strict=True)]
        xp = namespace(*arrays)
        raw = [np.asarray(to_numpy(a)) for a in arrays]
        if self.tol is None:  # the checks follow the coarsest dtype of x and V
            coarse = max((raw[0].dtype, raw[2].dtype), key=lambda t: np.finfo(t).eps)
            object.__setattr__(self, "tol", tolerance(coarse, power=0.5))
        else:
            object.__setattr__(self, "tol", arguments.positive("tol", self.tol))
        host = [np.asarray(a, dtype=np.float64) for a in raw]
        _validate(*host, tol=self.tol)
        if xp.__name__.endswith("numpy"):
            for name, a in zip("xyVh", host, strict=True):
                a = np.array(a, dtype=np.float64)
                a.setflags(write=False)
                object.__setattr__(self, name, a)
        object.__setattr__(self, "_host", tuple(host))

    # -- sizes ---------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return int(self._host[0].shape[0])

    @property
    def d(self) -> int:
        return int(self._host[0].shape[1])

    @property
    def k(self) -> int:
        return int(self._host[2].shape[2])

    @property
    def N(self) -> int:
        """Size n(k+1) of the kernels H(W) and H∞."""
        return self.n * (self.k + 1)

    def host(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """NumPy copies ``(x, y, V, h)``."""
        return self._host

    # -- derived constants of Section 2 --------------------------------------------------
    @property
    def delta1(self) -> float:
        """δ1 of (7): min over i ≠ j of min(‖x_i − x_j‖, ‖x_i + x_j‖); inf when n = 1."""
        x = self._host[0]
        if self.n < 2:
            return math.inf
        iu = np.triu_indices(self.n, 1)
        minus = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=2)[iu]
        plus = np.linalg.norm(x[:, None, :] + x[None, :, :], axis=2)[iu]
        # computed from the differences, not from sqrt(2 ∓ 2 x_iᵀx_j), which cancels
        return float(np.min(np.minimum(minus, plus)))

    @property
    def delta1_hat(self) -> float:
        """δ̂1 of (13): min over i ≠ j of ‖x_i − x_j‖; inf when n = 1."""
        x = self._host[0]
        if self.n < 2:
            return math.inf
        diff = x[:, None, :] - x[None, :, :]
        dist = np.linalg.norm(diff, axis=2)
        return float(np.min(dist[np.triu_indices(self.n, 1)]))

    @property
    def vx(self) -> np.ndarray:
        """``V_i^T x_i`` for every i, shape (n, k)."""
        x, _, V, _ = self._host
        return np.einsum("idk,id->ik", V, x)

    @property
    def vx_norms(self) -> np.ndarray:
        """‖V_i^T x_i‖ for every i, shape (n,)."""
        return np.linalg.norm(self.vx, axis=1)

    @property
    def delta2(self) -> float:
        """δ2 of (8): max over i, j of |v_{i,j}^T x_i| (0 when k = 0)."""
        return float(np.max(np.abs(self.vx))) if self.k else 0.0

    @property
    def gamma(self) -> float:
        """γ = ‖y‖ + ‖h‖ of Theorem 1 and Lemma 3."""
        _, y, _, h = self._host
        return float(np.linalg.norm(y) + np.linalg.norm(h))

    def satisfies_assumption1(self) -> bool:
        """(7) with δ1 > 0 and (8) with δ2 < 1/k (vacuous for k = 0)."""
        return self.delta1 > 0 and (self.k == 0 or self.delta2 < 1.0 / self.k)

    def satisfies_assumption2(self) -> bool:
        """(13) with δ̂1 > 0."""
        return self.delta1_hat > 0

    def summary(self) -> dict:
        """JSON-able description: sizes and derived constants."""
        return {
            "n": self.n, "d": self.d, "k": self.k, "N": self.N,
            "delta1": self.delta1, "delta1_hat": self.delta1_hat, "delta2": self.delta2,
            "max_vx_norm": float(np.max(self.vx_norms)) if self.k else 0.0,
            "gamma": self.gamma,
        }

    def to_dict(self) -> dict:
        """Full instance as nested lists (float64 ``repr`` round-trips exactly)."""
        return {name: a.tolist() for name, a in zip("xyVh", self._host, strict=True)} | {
            "shape": [self.n, self.d, self.k]
        }

    @classmethod
    def from_dict(cls, data: dict) -> SobolevProblem:
        """Inverse of :meth:`to_dict`; malformed input raises :class:`ProblemError`."""
        if not isinstance(data, dict):
            raise ProblemError(f"problem must be a JSON object, got {type(data).__name__}")
        try:
            n, d, k = (int(s) for s in data["shape"])
            arrays = {f: np.asarray(data[f], dtype=float) for f in "xyVh"}
        except KeyError as exc:
            raise ProblemError(f"problem is missing the field {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ProblemError(f"problem has a non-numeric or ragged field: {exc}") from None
        arrays["V"] = arrays["V"].reshape(n, d, k) if arrays["V"].size == n * d * k else arrays["V"]
        arrays["h"] = arrays["h"].reshape(n, k) if arrays["h"].size == n * k else arrays["h"]
        return cls(**arrays)


# ---------------------------------------------------------------------------------------
# constructors
# ---------------------------------------------------------------------------------------
def from_function(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x: Any,
    V: Any,
) -> SobolevProblem:
    """Data generated by a target ``f*`` as in eq. (3): ``y_i = f*(x_i)``, ``h_i = V_i^T ∇f*(x_i)``.

    >>> import numpy as np
    >>> x = np.eye(3)[:2]; V = np.stack([np.eye(3)[:, [2]]] * 2)
    >>> p = from_function(lambda z: z.sum(), lambda z: np.ones(3), x, V)
    >>> p.y.tolist(), p.h.tolist()
    ([1.0, 1.0], [[1.0], [1.0]])
    """
    for name, fn in (("f", f), ("grad", grad)):
        if not callable(fn):
            raise ProblemError(f"{name} is a {type(fn).__name__}; it must be a callable")
    xh, Vh = (np.asarray(to_numpy(arguments.real_array(nm, v, error=ProblemError)), dtype=float)
              for nm, v in (("x", x), ("V", V)))
    if xh.ndim != 2 or Vh.ndim != 3 or Vh.shape[:2] != xh.shape:
        raise ProblemError(f"x has shape {xh.shape} and V {Vh.shape}; need (n, d) and (n, d, k)")
    ys = (f(xi) for xi in xh)  # each a real number (a 0-d array is unwrapped)
    y = np.array([arguments.real(f"f(x[{i}])", v.item() if np.ndim(v) == 0 and hasattr(v, "item")
                                 else v) for i, v in enumerate(ys)])
    g = np.stack([arguments.real_array(f"grad(x[{i}])", grad(xi), error=ProblemError).reshape(-1)
                  for i, xi in enumerate(xh)]).astype(float)
    if g.shape != xh.shape:
        raise ProblemError(f"grad returned shape {g.shape[1:]}; it must be (d,) = ({xh.shape[1]},)")
    h = np.einsum("idk,id->ik", Vh, g)
    return SobolevProblem(xh, y, Vh, h)


def _separated_points(n: int, d: int, sep: float, rng: np.random.Generator, antipodal: bool,
                      max_tries: int) -> np.ndarray:
    pts: list[np.ndarray] = []
    tries = 0
    while len(pts) < n:
        tries += 1
        if tries > max_tries:
            rule = "(7)" if antipodal else "(13)"
            raise ProblemError(
                f"separation={sep} is infeasible or too hard to sample: placed {len(pts)} of n={n} "
                f"points in d={d} after {max_tries} draws under rule {rule}"
            )
        z = rng.standard_normal(d)
        z /= np.linalg.norm(z)
        ok = True
        for p in pts:
            dist = np.linalg.norm(z - p)
            if antipodal:
                dist = min(dist, np.linalg.norm(z + p))
            if dist < sep:
                ok = False
                break
        if ok:
            pts.append(z)
    return np.array(pts)


def frame_with_overlap(x: np.ndarray, c: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An orthonormal d × k frame V with ``V^T x = c`` exactly (needs ‖c‖ ≤ 1, k + 1 ≤ d).

    In coordinates (x, u_1, …, u_k) of a random orthonormal (k+1)-frame the columns are
    ``[c^T; B]`` with ``B = (I − c c^T)^{1/2}``, so ``V^T V = c c^T + B^2 = I``.
    """
    d, k = x.shape[0], c.shape[0]
    if k == 0:
        return np.zeros((d, 0))
    if k + 1 > d:
        raise ProblemError(f"k = {k} directions need d >= k + 1 = {k + 1} to set V^T x; got d = {d}")
    if np.linalg.norm(c) > 1:
        raise ProblemError(f"vx_norm = {np.linalg.norm(c):.6g}; ‖V_i^T x_i‖ <= 1 is required")
    g = np.column_stack([x, rng.standard_normal((d, k))])
    q, _ = np.linalg.qr(g)
    q[:, 0] = x  # QR may flip the sign of the first column
    w, U = np.linalg.eigh(np.eye(k) - np.outer(c, c))
    B = (U * np.sqrt(np.clip(w, 0, None))) @ U.T
    return q @ np.vstack([c[None, :], B])


def random_problem(
    n: int,
    d: int,
    k: int,
    *,
    separation: float | None = None,
    vx_norm: float | None = None,
    assumption: int = 1,
    seed: int | np.random.Generator = 0,
    max_tries: int = 100_000,
) -> SobolevProblem:
    """A seeded random instance with a requested separation and ‖V_i^T x_i‖.

    Parameters
    ----------
    n, d, k : int
        Sizes; ``k + 1 <= d`` when ``k > 0``.
    separation : float, optional
        Lower bound on δ1 of (7) (``assumption=1``) or δ̂1 of (13) (``assumption=2``).
    vx_norm : float, optional
        Exact ‖V_i^T x_i‖ for every i, spread equally over the k columns (so
        δ2 = vx_norm/√k).  Default: each entry of V_i^T x_i uniform in ±1/(2k), which
        keeps δ2 < 1/k.
    seed : int or numpy.random.Generator
        All randomness comes from here.

    >>> p = random_problem(4, 5, 2, separation=0.5, vx_norm=0.1, seed=1)
    >>> p.delta1 >= 0.5, round(float(p.vx_norms.max()), 12)
    (True, 0.1)
    """
    n, d, k = (arguments.integer(name, v, minimum=0 if name == "k" else 1)
               for name, v in (("n", n), ("d", d), ("k", k)))
    if separation is not None:
        separation = arguments.real("separation", separation, low=0.0, high=2.0)
    if vx_norm is not None:
        vx_norm = arguments.real("vx_norm", vx_norm, low=0.0, high=1.0)
    arguments.one_of("assumption", assumption, (1, 2))
    max_tries = arguments.integer("max_tries", max_tries, minimum=1)
    rng = np.random.default_rng(arguments.seed(seed))  # a Generator is returned unchanged
    x = _separated_points(n, d, separation or 0.0, rng, antipodal=(assumption == 1),
                          max_tries=max_tries)
    frames = []
    for i in range(n):
        if vx_norm is None:
            c = rng.uniform(-1.0, 1.0, k) / (2 * max(k, 1))
        else:
            c = np.full(k, vx_norm / math.sqrt(k)) if k else np.zeros(0)
        frames.append(frame_with_overlap(x[i], c, rng))
    V = np.stack(frames) if n else np.zeros((0, d, k))
    y = rng.standard_normal(n)
    h = rng.standard_normal((n, k))
    return SobolevProblem(x, y, V, h)


def default_alpha(k: int) -> float:
    """α = 1/(2k) of Section 2.1 (1/2 when k = 0, where the paper's formula is undefined)."""
    return 1.0 / (2 * k) if k > 0 else 0.5


def lift_bias(problem: SobolevProblem, alpha: float | None = None) -> SobolevProblem:
    """The change of variables of Section 2.1.

    ``x ↦ (αx, β)``, ``V ↦ [V; 0]``, ``h ↦ h/α`` with β = √(1 − α²), so that the
    unbiased network (4) on the lifted data with weights ``(w_r, b_r)`` equals the biased
    network (10), and its Sobolev loss equals (11).

    >>> p = random_problem(3, 4, 1, seed=0)
    >>> q = lift_bias(p)
    >>> q.d, round(q.delta2, 12) <= 0.5
    (5, True)
    """
    arguments.problem(problem)
    a = default_alpha(problem.k) if alpha is None else arguments.alpha(alpha)
    beta = math.sqrt(1.0 - a * a)
    xp = namespace(problem.x)
    x, y, V, h = problem.x, problem.y, problem.V, problem.h
    n = problem.n
    ones = xp.ones((n, 1), dtype=x.dtype)
    x_l = xp.concat([a * x, beta * ones], axis=1)
    V_l = xp.concat([V, xp.zeros((n, 1, problem.k), dtype=x.dtype)], axis=1)
    return SobolevProblem(x_l, y, V_l, h / a)
