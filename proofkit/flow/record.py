"""The trajectory record shared by every integrator, and the per-time measurements.

Every integrator of :mod:`proofkit.flow` returns a :class:`Trajectory`: one row per recorded
time with the quantities the proof of Theorem 1 bounds, namely

* ``e_norm2 = ‖e(t)‖²`` and ``S_norm2 = ‖S(t)‖²`` (residuals (6)), ``loss = ½(‖e‖² + ‖S‖²)``;
* ``lambda_min_H = λmin(H(t))`` (Lemma 2, proof of Lemma 4);
* ``kernel_drift_F = ‖H(t) − H(0)‖_F`` (the neighbourhood B0 and escape time τ0 of (15));
* ``max_weight_move = max_r ‖w_r(t) − w_r(0)‖`` (the radius R of Lemma 4);
* ``n_pattern_changes``: the number of pairs (r, i) with σ'(w_r(t)ᵀx_i) ≠ σ'(w_r(0)ᵀx_i)
  (the events E_{i,r} of Section 3.2);

plus the activation :class:`Event` records of the event-locating integrators and ``W`` at
the requested times.  H(t) is always formed from the pattern overlap PᵀP
(:func:`proofkit.kernels.empirical_kernel`), never from the Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels import empirical_kernel

__all__ = ["Event", "Recorder", "Trajectory", "fixed_kernel_trajectory", "gram_paper", "jump_at",
           "residuals_with_pattern"]


@dataclass(frozen=True)
class Event:
    """One change of the activation pattern, σ'(w_rᵀx_i) flips at ``time``.

    Attributes
    ----------
    time : float
        When w_r(t)ᵀx_i reaches 0.
    neuron, point : int
        The pair (r, i).
    direction : int
        +1 when the neuron switches on for x_i (w_rᵀx_i crosses 0 upward), −1 when it
        switches off.
    dS_i : tuple of float
        The jump of S_i (length k): ``−direction · a_r V_iᵀw_r``; e and f are continuous.
    d_energy : float
        The jump of ‖e‖² + ‖S‖² caused by ``dS_i``.
    kind : str
        ``"crossing"`` (the classical solution continues on the other side),
        ``"sliding"`` (both vector fields point into the surface w_rᵀx_i = 0: the pair joins
        the sliding set) or ``"exit"`` (its Filippov weight reached 0 or 1: it leaves the
        surface to the off or on side).  ``dS_i`` and ``d_energy`` use the paper's
        σ'(0) = 0 while sliding: a sliding pair counts as off.
    theta : float or None
        Filippov's weight θ ∈ [0, 1] of the on side, after the event (sliding, exit).
    d_energy_theta : float or None
        The jump of ‖e‖² + ‖S_θ‖² at the event, S_θ the θ-weighted S (all sliding pairs of
        the moment counted with their weights; the weights of the others are re-solved).
    """

    time: float
    neuron: int
    point: int
    direction: int
    dS_i: tuple
    d_energy: float
    kind: str = "crossing"
    theta: float | None = None
    d_energy_theta: float | None = None

    def to_dict(self) -> dict:
        return {
            "time": float(self.time), "neuron": int(self.neuron), "point": int(self.point),
            "direction": int(self.direction), "dS_i": [float(v) for v in self.dS_i],
            "d_energy": float(self.d_energy), "kind": self.kind,
            "theta": None if self.theta is None else float(self.theta),
            "d_energy_theta": None if self.d_energy_theta is None else float(self.d_energy_theta),
        }


def jump_at(problem, W, a, r: int, i: int, direction: int, S):
    """Jump of S_i and of ‖e‖² + ‖S‖² when σ'(w_rᵀx_i) flips in ``direction`` (±1).

    V_iᵀ∇f(x_i) gains ``direction · a_r V_iᵀw_r``, so S_i changes by the opposite.

    Returns
    -------
    dS : ndarray (k,)
    d_energy : float
    """
    V = problem.host()[2]
    dS = -direction * float(a[r]) * (V[i].T @ np.asarray(W[r], dtype=float))
    Si = np.asarray(S[i], dtype=float)
    return dS, float(np.sum((Si + dS) ** 2) - np.sum(Si ** 2))


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Recorded gradient-flow trajectory; every array has one entry per row of ``times``.

    Times may repeat: the exact integrator records the state just before and just after
    each event.  ``W`` holds the weights at ``W_times`` (the requested times); ``residual`` holds
    r(t) = (e, S) in the paper's ordering, one row per time.  ``status``
    is ``"completed"``, ``"sliding"`` (stopped at a sliding event, ``sliding="stop"``),
    ``"nonunique"`` (a repelling surface or a complementarity problem with several
    solutions), ``"stuck"`` (64 events at one time), ``"filippov_failed"``,
    ``"max_events"``/``"max_steps"`` (a cap was hit, stopped) or ``"diverged"``;
    ``info["message"]`` says why.  ``S_theta_norm2`` is ‖S_θ‖² with the θ-weighted S on
    sliding states (equal to ``S_norm2`` elsewhere).
    """

    integrator: str
    times: np.ndarray
    loss: np.ndarray
    e_norm2: np.ndarray
    S_norm2: np.ndarray
    lambda_min_H: np.ndarray
    kernel_drift_F: np.ndarray
    max_weight_move: np.ndarray
    n_pattern_changes: np.ndarray
    events: tuple = ()
    residual: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    W_times: np.ndarray = field(default_factory=lambda: np.zeros(0))
    W: tuple = ()
    status: str = "completed"
    m: int = 0
    n: int = 0
    info: dict = field(default_factory=dict)
    S_theta_norm2: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def energy(self) -> np.ndarray:
        """‖e(t)‖² + ‖S(t)‖², the left-hand side of Theorem 1."""
        return self.e_norm2 + self.S_norm2

    def summary(self) -> dict:
        """JSON-able one-line digest: final values, extremes, counts."""
        en = self.energy
        return {
            "integrator": self.integrator, "status": self.status, "m": self.m,
            "t_final": float(self.times[-1]), "rows": int(self.times.size),
            "energy_initial": float(en[0]), "energy_final": float(en[-1]),
            "loss_final": float(self.loss[-1]),
            "lambda_min_H_initial": float(self.lambda_min_H[0]),
            "lambda_min_H_min": float(np.min(self.lambda_min_H)),
            "kernel_drift_F_max": float(np.max(self.kernel_drift_F)),
            "max_weight_move_max": float(np.max(self.max_weight_move)),
            "n_pattern_changes_final": int(self.n_pattern_changes[-1]),
            "fraction_pattern_changes_final":
                float(self.n_pattern_changes[-1]) / max(1, self.m * self.n),
            "n_events": len(self.events),
            "n_sliding": sum(ev.kind == "sliding" for ev in self.events),
            "n_exit": sum(ev.kind == "exit" for ev in self.events),
            "n_crossing": sum(ev.kind == "crossing" for ev in self.events),
        } | {k: v for k, v in self.info.items() if isinstance(v, (int, float, str, bool))}

    def to_dict(self, *, include_W: bool = False) -> dict:
        """JSON-able: arrays as lists, events as dicts; ``W`` and ``residual`` when asked for."""
        out = {"summary": self.summary()}
        for name in ("times", "loss", "e_norm2", "S_norm2", "lambda_min_H", "kernel_drift_F",
                     "max_weight_move", "n_pattern_changes"):
            out[name] = np.asarray(getattr(self, name)).tolist()
        if np.size(self.S_theta_norm2):
            out["S_theta_norm2"] = np.asarray(self.S_theta_norm2).tolist()
        out["events"] = [ev.to_dict() for ev in self.events]
        out["W_times"] = np.asarray(self.W_times).tolist()
        if include_W:
            out["residual"] = np.asarray(self.residual).tolist()
            out["W"] = [np.asarray(w).tolist() for w in self.W]
        return out


class Recorder:
    """Accumulates rows; measures H(t) through the pattern overlap (O(n²m + N²d))."""

    def __init__(self, problem, W0, a, *, P0=None, K0=None):
        """``P0`` (m × n booleans) and ``K0 = Σ_r a_r² σ'_r σ'_rᵀ`` (n × n) at W0, when the
        integrator already has them, spare the two (m × n × d) products of the set-up."""
        self.problem, self.a = problem, np.asarray(a, dtype=float)
        self.W0 = np.array(W0, dtype=float)
        x = problem.host()[0]
        self.P0 = np.einsum("md,nd->mn", self.W0, x) > 0 if P0 is None else P0
        self.a2 = self.a * self.a
        self.G, self.owner = gram_paper(problem)
        if K0 is None:
            self.H0 = np.asarray(empirical_kernel(problem, self.W0, self.a), dtype=float)
        else:
            self.H0 = self.G * np.asarray(K0, dtype=float)[np.ix_(self.owner, self.owner)]
        self.rows: list[tuple] = []
        self.res: list[np.ndarray] = []
        self.s_theta: list[float] = []
        self.W_times: list[float] = []
        self.W: list[np.ndarray] = []

    def measure(self, t: float, W, e, S, P=None, S_theta=None, *, K=None, move=None) -> None:
        """Append the row at time ``t``; ``P`` (m, n) overrides the pattern of ``W``.

        Passing ``P`` matters exactly at an event, where w_rᵀx_i = 0 and the side is set
        by the integrator rather than by the sign of a rounded number.  ``S_theta`` is the
        θ-weighted S of a sliding state (default: ``S``).  An integrator that already has
        ``K = Σ_r a_r² σ'_r σ'_rᵀ`` (n × n) and ``move = max_r ‖w_r − w_r(0)‖`` passes them
        (with ``P``), and then ``W`` is not read (GD's fused step does).
        """
        x = self.problem.host()[0]
        if P is None:
            W = np.asarray(W, dtype=float)
            P = np.einsum("md,nd->mn", W, x) > 0
        if K is None:
            Pf = P.astype(float)
            K = np.einsum("mi,mj->ij", Pf, self.a2[:, None] * Pf)
        H = self.G * K[np.ix_(self.owner, self.owner)]
        lam = float(np.linalg.eigvalsh(H)[0])
        drift = float(np.linalg.norm(H - self.H0))
        if move is None:
            D = np.asarray(W, dtype=float) - self.W0
            move = float(np.sqrt(np.max(np.einsum("md,md->m", D, D))))
        changes = int(np.count_nonzero(P != self.P0))
        en, sn = float(np.sum(np.square(e))), float(np.sum(np.square(S)))
        self.rows.append((t, 0.5 * (en + sn), en, sn, lam, drift, move, changes))
        self.res.append(np.concatenate([np.ravel(e), np.ravel(S)]).astype(float))
        self.s_theta.append(sn if S_theta is None else float(np.sum(np.square(S_theta))))

    def keep_W(self, t: float, W, *, copy: bool = True) -> None:
        """Keep W at time ``t``; ``copy=False`` stores the array itself (the caller hands
        it over and never writes it again)."""
        self.W_times.append(float(t))
        self.W.append(np.array(W, dtype=float) if copy else np.asarray(W, dtype=float))

    def build(self, integrator: str, events=(), status="completed", info=None) -> Trajectory:
        cols = list(zip(*self.rows, strict=True))
        arr = [np.asarray(c, dtype=float) for c in cols]
        return Trajectory(
            integrator=integrator, times=arr[0], loss=arr[1], e_norm2=arr[2], S_norm2=arr[3],
            lambda_min_H=arr[4], kernel_drift_F=arr[5], max_weight_move=arr[6],
            n_pattern_changes=arr[7].astype(np.int64), events=tuple(events),
            residual=np.vstack(self.res),
            W_times=np.asarray(self.W_times, dtype=float), W=tuple(self.W), status=status,
            m=int(self.W0.shape[0]), n=int(self.problem.n), info=dict(info or {}),
            S_theta_norm2=np.asarray(self.s_theta, dtype=float),
        )


def fixed_kernel_trajectory(problem, net, K, grid, R, lambda_min: float, integrator: str,
                            info: dict | None = None) -> Trajectory:
    """The :class:`Trajectory` of a flow that tracks the residual r(t) only (rows ``R`` at
    ``grid``) under a kernel ``K`` that does not move: the weights stay put, ``lambda_min_H``
    is ``lambda_min`` throughout and ``kernel_drift_F`` is ‖K − H(0)‖_F (0 without ``net``)."""
    from ..kernels import empirical_kernel

    n = problem.n
    e2 = np.sum(R[:, :n] ** 2, axis=1)
    s2 = np.sum(R[:, n:] ** 2, axis=1)
    drift = 0.0
    if net is not None:
        H0 = np.asarray(empirical_kernel(problem, np.asarray(net[0], float),
                                         np.asarray(net[1], float)))
        drift = float(np.linalg.norm(K - H0))
    T = grid.size
    return Trajectory(
        integrator=integrator, times=grid, loss=0.5 * (e2 + s2), e_norm2=e2, S_norm2=s2,
        lambda_min_H=np.full(T, lambda_min), kernel_drift_F=np.full(T, drift),
        max_weight_move=np.zeros(T), n_pattern_changes=np.zeros(T, dtype=np.int64),
        residual=R, m=0 if net is None else int(np.shape(net[0])[0]), n=n,
        info=info if info is not None else {})


def gram_paper(problem):
    """``(G, owner)``: the Gram matrix of the columns of Ω (paper ordering) and the point
    each column belongs to, so that ``H = G ⊙ K[owner][:, owner]`` for a point kernel K."""
    from ..kernels import hat_to_paper_permutation

    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    F = np.concatenate([x[:, None, :], np.transpose(V, (0, 2, 1))], axis=1).reshape(n * (k + 1), -1)
    perm = hat_to_paper_permutation(n, k)
    F = F[perm]
    owner = np.repeat(np.arange(n), k + 1)[perm]
    return F @ F.T, owner


def residuals_with_pattern(problem, W, a, P):
    """Residuals (6) with an explicit pattern P (m, n) in place of the sign of W xᵀ.

    Needed at an event, where w_rᵀx_i = 0 and the side is decided by the integrator.
    """
    x, y, V, h = problem.host()
    Pf = np.asarray(P, dtype=float)
    f = a @ (Pf * (W @ x.T))
    G = W.T @ (a[:, None] * Pf)  # (d, n)
    return y - f, h - np.einsum("idk,di->ik", V, G)
