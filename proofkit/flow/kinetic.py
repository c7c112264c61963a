"""The infinite-width limit with its boundary-layer memory (``limit_flow(model="kinetic")``).

As m → ∞ the weights move O(1/√m) (Lemma 4's R), so only neurons within O(1/√m) of a
surface {wᵀx_i = 0} change activation.  In the stretched coordinate ζ = √m·wᵀx_i such a
neuron moves with

    dζ/dt = σ·(q_s + c_i·1{ζ > 0}),   σ = sign(a_r),
    q_s = Σ_{j≠i} s_j x_iᵀX̂_j r_j,      c_i = x_iᵀX̂_i r_i,

where s is the activation class of the other points, constant on the layer.  Every neuron
that changes side moves S_i by ∓a_r V_iᵀw_r, so with p0 = 1/√(2π) and M_s = E[1{s} V_iᵀw_⊥]

    dS/dt = −(H∞ r)_S − d/dt J,   J_i = (p0/2) Σ_{s,σ} σ M_s Δ_{s,σ}(t),

Δ_{s,σ} the net mass (in ζ) of the (surface, class, sign) stream that moved above its
surface since t = 0; neurons held on an attracting surface (q_s and q_s + c_i of opposite
signs, Filippov sliding) count with their θ = v₋/(v₋ − v₊), which is what GD time-averages.
Without sliding and without reversals each Δ grows at its one-sided rate and the model is
the linear flow r' = −(H∞ + D) r of :func:`proofkit.limit.limit_generator`; with them it has
memory: mass piles up on sliding surfaces with a θ that changes with r, and neurons that
crossed come back through a layer whose density the crossing changed.

Numerics (each a count, none a time limit):

* the streams are one-dimensional Lagrangian transports of uniform mass, tracked by
  ``2·grid`` cell boundaries per stream over the stream's reach (its speed bound
  integrated along the linear flow, times ``safety``); the mass above the surface is
  interpolated linearly inside the one cell that straddles the surface, so the error per
  stream is below one cell, reach/grid;
* the smooth part is the exact propagator e^{−H∞ dt} (Lie splitting, error O(dt));
* the classes are sampled (``samples`` draws of w_⊥ per surface, seeded); the linear part
  of the flux is replaced by the closed form D (a control variate), so the sampling error
  enters only through the memory correction.

Cost: O(steps · n · classes · grid) with classes ≤ min(2^{n−1}, samples); meant for the
small and medium n of the flow audits (n ≲ 12).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["boundary_classes", "kinetic_residuals"]

P0 = 1.0 / math.sqrt(2.0 * math.pi)


def boundary_classes(x, V, *, samples: int = 200_000, seed: int = 0):
    """Activation classes on every surface ``{wᵀx_i = 0}``.

    Returns ``(surf, bits, M)``: the surface index of each class (C,), the activation bits
    of all points on it (C, n; the surface's own bit is 0) and ``M_s = E[1{s} V_iᵀw_⊥]``
    (C, k), estimated from ``samples`` seeded draws of ``w_⊥ ~ N(0, I − x_ix_iᵀ)``.
    """
    n, d = x.shape
    k = V.shape[2]
    rng = np.random.default_rng(seed)
    surf, bits, M = [], [], []
    for i in range(n):
        w = rng.standard_normal((samples, d))
        w -= np.outer(w @ x[i], x[i])
        b = w @ x.T > 0
        b[:, i] = False
        packed = np.packbits(b, axis=1, bitorder="little")
        code = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
        _, first, inv = np.unique(code, return_index=True, return_inverse=True)
        Ms = np.zeros((first.size, k))
        np.add.at(Ms, inv.ravel(), w @ V[i])
        surf.append(np.full(first.size, i))
        bits.append(b[first].astype(float))
        M.append(Ms / samples)
    return np.concatenate(surf), np.concatenate(bits), np.concatenate(M)


class _Streams:
    """The (sign × class) streams of neurons near the surfaces, as cell boundaries in ζ."""

    def __init__(self, reach, grid: int):
        self.h = reach / grid                                     # (2, C)
        steps = np.arange(2 * grid) - grid + 0.5                  # no boundary on the surface
        self.z = steps[None, None, :] * self.h[:, :, None]       # (2, C, 2·grid)
        self.held = np.zeros(self.z.shape, dtype=bool)            # on an attracting surface
        self.theta = np.zeros(reach.shape)
        self.edge_hit = False
        self._start = 0.0
        self._start = self.mass_above()

    def mass_above(self):
        """Δ per stream: mass above the surface now minus at t = 0 (held mass counts θ)."""
        lo, hi = self.z[..., :-1], self.z[..., 1:]
        width = hi - lo
        safe = np.where(width > 0, width, 1.0)
        frac = np.where(width > 0, np.clip(hi / safe, 0.0, 1.0),
                        np.where(hi > 0, 1.0, np.where(hi < 0, 0.0, self.theta[..., None])))
        return self.h * frac.sum(axis=2) - self._start

    def advance(self, vm, vp, dt: float) -> None:
        """Move every boundary by dt with speed vm below and vp above the surface."""
        z, held = self.z, self.held
        vmb, vpb = vm[..., None], vp[..., None]
        attract = (vm > 0) & (vp < 0)
        released = held & ~attract[..., None]
        if released.any():
            # leave on the side whose field points away; a repelling surface (non-unique
            # continuation) releases towards the side θ favoured last
            up = np.where((vpb > 0) & (vmb >= 0), True,
                          np.where((vmb < 0) & (vpb <= 0), False, self.theta[..., None] >= 0.5))
            z = np.where(released, np.where(up, vpb, vmb) * dt, z)
            held = held & ~released
        # a free boundary exactly on the surface goes with the field that takes it across
        below = ~held & ((z < 0) | ((z == 0) & (vmb > 0)))
        above = ~held & ((z > 0) | ((z == 0) & (vpb < 0)))
        zb = z + vmb * dt
        za = z + vpb * dt
        up_cross = below & (zb >= 0)
        down_cross = above & (za <= 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            # the rest of the step after reaching the surface, on the far side
            zu = np.where(vpb > 0, vpb * (dt + z / np.where(vmb != 0, vmb, 1.0)), 0.0)
            zd = np.where(vmb < 0, vmb * (dt - z / np.where(vpb != 0, -vpb, 1.0)), 0.0)
        z = np.where(below & ~up_cross, zb, np.where(above & ~down_cross, za, z))
        z = np.where(up_cross, zu, np.where(down_cross, zd, z))
        held = held | (up_cross & (vpb <= 0)) | (down_cross & (vmb >= 0))
        self.z = np.where(held, 0.0, z)
        self.held = held
        with np.errstate(divide="ignore", invalid="ignore"):
            self.theta = np.where(attract, vm / np.where(attract, vm - vp, 1.0), self.theta)
        self.edge_hit |= bool((self.z[..., 0] >= 0).any() or (self.z[..., -1] <= 0).any())


def kinetic_residuals(problem, r0, times, *, dt: float = 1e-2, grid: int = 200,
                      samples: int = 200_000, seed: int = 0, safety: float = 1.5):
    """Residuals r(t) of the kinetic limit at ``times``, from r(0) = ``r0`` (paper ordering).

    Returns ``(R, info)``: R of shape (len(times), n(k+1)); info records the numerical
    parameters, the number of classes, the largest fraction of stream mass held on sliding
    surfaces, and ``edge_hit`` (True if some stream travelled past its tracked reach, which
    would make the result unreliable; raise ``safety`` then).
    """
    from scipy.linalg import expm

    from ..kernels import h_infinity
    from ..limit import crossing_drift

    x, _, V, _ = problem.host()
    n, k = problem.n, problem.k
    H = np.asarray(h_infinity(problem), dtype=float)
    D = np.asarray(crossing_drift(problem), dtype=float)
    times = np.asarray(times, dtype=float)
    t_end = float(times.max()) if times.size else 0.0
    steps = max(1, math.ceil(t_end / dt - 1e-9)) if t_end > 0 else 0
    from .. import arguments

    if steps > arguments.MAX_STEPS:
        raise arguments.ArgumentError(
            f"t_max/dt = {t_end:g}/{dt:g} needs {steps:,} kinetic steps; at most "
            f"{arguments.MAX_STEPS:,} are allowed")
    dt = t_end / steps if steps else dt
    r = np.asarray(r0, dtype=float).copy()
    if k == 0 or steps == 0:  # no directional rows: no jumps, the flow is e^{−H∞t}
        R = np.stack([expm(-H * t) @ r for t in times]) if times.size else np.zeros((0, r.size))
        return R, {"model": "kinetic", "dt": dt, "grid": grid, "samples": samples, "seed": seed,
                   "classes": 0, "max_held_fraction": 0.0, "edge_hit": False}
    surf, bits, M = boundary_classes(x, V, samples=samples, seed=seed)
    Xh = np.concatenate([x[:, :, None], V], axis=2)
    coupling = np.einsum("id,jdc->ijc", x, Xh)                   # x_iᵀX̂_j
    sign = np.array([1.0, -1.0])

    def speeds(r):
        blocks = np.concatenate([r[:n, None], r[n:].reshape(n, k)], axis=1)
        q = np.einsum("ijc,jc->ij", coupling, blocks)
        qm = (bits * q[surf]).sum(axis=1)
        cc = q[surf, surf]
        return qm, cc, sign[:, None] * qm, sign[:, None] * (qm + cc)

    # reach of each stream: its speed bound integrated along the linear flow
    probe = np.linspace(0.0, t_end, 101)
    step_G = expm(-(H + D) * (probe[1] - probe[0]))
    rr, speed = r.copy(), []
    for _ in probe:
        _, _, vm, vp = speeds(rr)
        speed.append(np.maximum(np.abs(vm), np.abs(vp)))
        rr = step_G @ rr
    reach = safety * np.trapezoid(np.array(speed), probe, axis=0) + 1e-9
    streams = _Streams(reach, grid)
    weight = (0.5 * P0) * sign[:, None, None] * M[None, :, :]    # (2, C, k)

    def jump():
        J = np.zeros((n, k))
        np.add.at(J, surf, (weight * streams.mass_above()[..., None]).sum(axis=0))
        return J

    E = expm(-H * dt)
    out = np.zeros((times.size, r.size))
    order = np.argsort(times, kind="stable")
    rec = 0
    while rec < times.size and times[order[rec]] <= 0:
        out[order[rec]] = r
        rec += 1
    J_old = jump()
    held_max = 0.0
    for step in range(steps):
        qm, cc, vm, vp = speeds(r)
        streams.advance(vm, vp, dt)
        J_new = jump()
        # control variate: the sampled classes' linear flux, replaced by the closed form D
        lin_sampled = np.zeros((n, k))
        np.add.at(lin_sampled, surf, M * (P0 * (qm + 0.5 * cc) * dt)[:, None])
        lin_exact = (D @ r)[n:].reshape(n, k) * dt
        r = E @ r
        r[n:] -= ((J_new - J_old) - lin_sampled + lin_exact).reshape(-1)
        J_old = J_new
        held_max = max(held_max, float(streams.held.mean()))
        t = (step + 1) * dt
        while rec < times.size and times[order[rec]] <= t + 1e-12:
            out[order[rec]] = r
            rec += 1
    return out, {"model": "kinetic", "dt": dt, "grid": grid, "samples": samples, "seed": seed,
                 "classes": int(surf.size), "max_held_fraction": held_max,
                 "edge_hit": streams.edge_hit}
