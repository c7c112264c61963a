"""The blocked, fused GD step on NumPy arrays: one pass over W per step.

Step ``j`` of GD is ``W ← W + η (a ⊙ P_j) U_j`` with ``U_j = e_j xᵀ-rows + V S_j`` (the
negative gradient of (5) is ``(a ⊙ P) U``, σ'' = 0).  ``e_{j+1}, S_{j+1}`` need the
products ``W_{j+1} xᵀ`` and ``W_{j+1}ᵀ (a ⊙ P_{j+1})`` of the *updated* weights, so
:meth:`FusedGD.advance` does both in one sweep over row blocks of W: it updates a block
and, while that block is still in cache, computes the next step's pre-activations,
pattern and ``Wᵀ(aP)`` contribution from it (the values f(x_i) = x_iᵀ(Wᵀ aP)_i follow
from the latter).  The three (m × n × d) products of a
step are exactly those of :func:`proofkit.network.loss_and_gradient`; nothing of size m
is allocated per step (every buffer is made once, the products write with ``out=``).

``dtype=np.float32`` runs the three products and stores W, aP in float32 for exploration;
``e``, ``S``, ``U``, the values f and ``Wᵀ(aP)`` are accumulated in float64, and what is
handed to the recorder (residuals, kernel, W) is float64.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["FusedGD", "default_block"]

# Per-block working set (rows of W, aP, Z and the update) of at most 2 MiB: about L2 size.
# Measured on a 2-core machine with 512 KiB L2 (d = 50, n = 20, 1 thread): 1024-row blocks run the step
# 20 % faster than 256-row ones, the per-call overhead of NumPy outweighing the L2 misses.
_CACHE_BYTES = 1 << 21


def default_block(d: int, n: int, itemsize: int = 8) -> int:
    """Rows of W per block (a power of two): the blocks of W, aP, Z and the update take at
    most 2 MiB.

    >>> default_block(50, 20)
    1024
    """
    rows = _CACHE_BYTES // max(1, itemsize * (2 * d + 2 * n))
    return int(max(64, min(8192, 1 << max(6, int(rows).bit_length() - 1))))


class FusedGD:
    """State and preallocated buffers of unbiased GD on NumPy arrays.

    Parameters
    ----------
    problem : SobolevProblem
    W : ndarray (m, d)
        Initial weights; copied once into the working array (of ``dtype``).
    a : ndarray (m,)
    eta : float
    block : int, optional
        Rows per block (default :func:`default_block`).
    dtype : numpy dtype
        float64 (default) or float32 for the products and the stored W and aP.
    """

    def __init__(self, problem, W, a, *, eta: float, block: int | None = None,
                 dtype=np.float64):
        x, y, V, h = problem.host()
        try:
            dt = np.dtype(dtype)
        except TypeError:
            dt = None
        if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise InputError(f"dtype = {dtype!r}; the GD products run in float64 or float32")
        m, d = np.shape(W)
        n = x.shape[0]
        if block is not None and not (isinstance(block, (int, np.integer)) and block >= 1):
            raise InputError(f"block = {block!r}; the rows per block must be an integer >= 1")
        B = default_block(d, n, dt.itemsize) if block is None else int(block)
        self.m, self.d, self.n, self.block, self.dtype, self.eta = m, d, n, min(B, m), dt, eta
        self.W = np.array(W, dtype=dt, order="C")
        self.a = np.ascontiguousarray(a, dtype=dt)
        self.x, self.y, self.V, self.h = x, y, V, h
        self.xT = np.ascontiguousarray(x.T, dtype=dt)
        self.aP = np.empty((m, n), dtype=dt)  # a_r σ'(w_rᵀx_i) of the current W
        B = self.block
        self._Z = np.empty((B, n), dtype=dt)
        self._D = np.empty((B, d), dtype=dt)
        self._rown = np.empty(B, dtype=dt)
        self._f = np.zeros(n)
        self._G = np.zeros((d, n))
        self._Gt = np.empty((d, n), dtype=dt)
        self._U = np.empty((n, d), dtype=dt)
        self.e = self.S = None
        self.move = None  # max_r ‖w_r − w0_r‖ of the last pass that was asked for it
        self.advance(first=True)

    def advance(self, *, first: bool = False, W0=None) -> None:
        """One GD step (none when ``first``) fused with the next step's forward products.

        Afterwards ``e``, ``S`` and ``aP`` belong to the new W; with ``W0`` the pass also
        measures ``move = max_r ‖w_r − W0_r‖`` block by block.
        """
        W, aP, a, xT, B = self.W, self.aP, self.a, self.xT, self.block
        f, G, Gt, U = self._f, self._G, self._Gt, self._U
        G.fill(0.0)
        move2 = 0.0
        for s in range(0, self.m, B):
            t = min(s + B, self.m)
            r = t - s
            Wb, aPb, Zb, Db = W[s:t], aP[s:t], self._Z[:r], self._D[:r]
            if not first:
                np.matmul(aPb, U, out=Db)  # η (a ⊙ P) U: minus η times the gradient block
                Wb += Db
            if W0 is not None:
                np.subtract(Wb, W0[s:t], out=Db)
                rn = self._rown[:r]
                np.einsum("md,md->m", Db, Db, out=rn)
                move2 = max(move2, float(rn.max()))
            np.matmul(Wb, xT, out=Zb)
            np.greater(Zb, 0, out=aPb)
            aPb *= a[s:t, None]
            np.matmul(Wb.T, aPb, out=Gt)
            G += Gt
        self.move = float(np.sqrt(move2)) if W0 is not None else None
        # f(x_i) = Σ_r a_r σ'(w_rᵀx_i) w_rᵀx_i = x_iᵀ G_i: the values come from G, no (m × n) pass
        np.einsum("id,di->i", self.x, G, out=f)
        self.e = self.y - f
        self.S = self.h - np.einsum("idk,di->ik", self.V, G)
        # U = e x + V S (n, d), scaled by η once so the blocks add (aP)(ηU) directly
        np.multiply(self.eta, self.e[:, None] * self.x + np.einsum("idk,ik->id", self.V, self.S),
                    out=U, casting="same_kind")

    def kernel_gram(self):
        """``K = (a ⊙ P)ᵀ (a ⊙ P)`` (n × n) in float64: ``K_ij = Σ_r a_r² σ'_ri σ'_rj``."""
        if self.dtype == np.float64:
            return self.aP.T @ self.aP
        K = np.zeros((self.n, self.n))
        for s in range(0, self.m, self.block):
            blk = self.aP[s:s + self.block].astype(np.float64)
            K += blk.T @ blk
        return K

    def pattern(self, P0, a_zero):
        """σ'(W xᵀ) as booleans from the stored aP; rows with a_r = 0 (never moved) keep P0."""
        P = self.aP != 0
        if a_zero is not None:
            P[a_zero] = P0[a_zero]
        return P

    def weights(self):
        """The working W as float64 (the array itself in float64 mode, no copy)."""
        return self.W if self.dtype == np.float64 else self.W.astype(np.float64)
