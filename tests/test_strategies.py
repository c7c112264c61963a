"""The public strategies: premises hold, hard places are reached, shrinking reaches simple cases."""

import math

import numpy as np
import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from proofkit.backend import tolerance
from proofkit.strategies import (
    network_initializations,
    orthonormal_frames,
    separated_points,
    sobolev_problems,
    unit_vectors,
)

EPS = tolerance(factor=64)


def _sep(x, antipodal=True):
    best = math.inf
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            d = np.linalg.norm(x[i] - x[j])
            if antipodal:
                d = min(d, np.linalg.norm(x[i] + x[j]))
            best = min(best, d)
    return best


@given(unit_vectors(d=4))
def test_unit_vectors_are_unit(v):
    assert v.shape == (4,) and abs(np.linalg.norm(v) - 1) <= EPS


@given(separated_points(n=4, d=3, separation=0.3))
def test_separated_points_meet_rule_7(x):
    assert x.shape == (4, 3)
    assert np.allclose(np.linalg.norm(x, axis=1), 1, atol=EPS)
    assert _sep(x) >= 0.3 - EPS


@given(separated_points(n=3, d=3, separation=0.3, antipodal=False))
def test_separated_points_meet_rule_13(x):
    assert _sep(x, antipodal=False) >= 0.3 - EPS


def test_separated_points_reach_the_separation_exactly():
    # the hard place: a pair within 5 % of the requested separation (near-parallel/antipodal)
    x = find(separated_points(n=3, d=3, separation=0.2), lambda x: _sep(x) <= 0.2 * 1.05,
             settings=settings(max_examples=500, database=None))
    assert 0.2 - EPS <= _sep(x) <= 0.21 + EPS


def test_near_antipodal_pairs_are_drawn():
    def near_antipodal(x):
        g = x @ x.T
        return np.min(g[np.triu_indices(3, 1)]) < -0.97

    x = find(separated_points(n=3, d=3, separation=0.2), near_antipodal,
             settings=settings(max_examples=1000, database=None))
    assert near_antipodal(x) and _sep(x) >= 0.2 - EPS


def test_points_shrink_to_the_axis_configuration():
    x = find(separated_points(n=3, d=3, separation=0.1), lambda x: True,
             settings=settings(database=None))
    assert np.allclose(x, np.eye(3))


@given(st.data())
def test_frames_are_orthonormal_with_bounded_overlap(data):
    x = data.draw(unit_vectors(d=5))
    V = data.draw(orthonormal_frames(x, k=3, max_overlap=0.2))
    assert np.allclose(V.T @ V, np.eye(3), atol=EPS)
    assert np.max(np.abs(V.T @ x)) <= 0.2 + EPS


def test_frames_reach_nearly_inside_span_x():
    x = np.eye(4)[0]
    V = find(orthonormal_frames(x, k=2, max_overlap=1 / math.sqrt(2)),
             lambda V: np.linalg.norm(V.T @ x) > 0.98, settings=settings(database=None))
    assert np.allclose(V.T @ V, np.eye(2), atol=EPS)
    assert np.linalg.norm(V.T @ x) > 0.98


def test_frames_shrink_to_zero_overlap():
    V = find(orthonormal_frames(np.eye(4)[0], k=2, max_overlap=0.3), lambda V: True,
             settings=settings(database=None))
    assert np.allclose(V.T @ np.eye(4)[0], 0, atol=EPS)


@given(sobolev_problems(n=(2, 4), d=(3, 5), k=(1, 2), separation=0.1))
def test_problems_satisfy_assumption_1(p):
    assert p.delta1 >= 0.1 - EPS and p.delta2 < 1 / p.k


@given(sobolev_problems(n=3, d=4, k=1, separation=0.1, assumption=2))
def test_problems_satisfy_assumption_2(p):
    assert p.delta1_hat >= 0.1 - EPS


def test_dropping_separation_reaches_parallel_points():
    p = find(sobolev_problems(n=2, d=3, k=1, separation=0.2, drop="separation"),
             lambda p: p.delta1 < 1e-6, settings=settings(max_examples=500, database=None))
    assert p.delta1 < 1e-6


def test_dropping_delta2_reaches_violations():
    p = find(sobolev_problems(n=2, d=4, k=2, separation=0.1, drop="delta2"),
             lambda p: p.delta2 >= 1 / p.k, settings=settings(max_examples=500, database=None))
    assert p.delta2 >= 0.5


def test_networks_reach_relu_ties():
    x = np.eye(3)
    net = find(network_initializations(m=4, x=x, ties=True),
               lambda net: np.min(np.abs(net.W @ x.T)) < 1e-12, settings=settings(database=None))
    assert np.min(np.abs(net.W @ x.T)) < 1e-12
    assert np.allclose(np.abs(net.a), 0.5)


@pytest.mark.parametrize(
    ("factory", "kwargs", "needle"),
    [
        (unit_vectors, {"d": 0}, "d=0"),
        (separated_points, {"n": 2, "d": 3, "separation": 3.0}, "separation=3.0"),
        (sobolev_problems, {"drop": "unit"}, "drop='unit'"),
        (sobolev_problems, {"assumption": 3}, "assumption=3"),
        (sobolev_problems, {"assumption": 2, "drop": "delta2"}, "drop='delta2'"),
        (network_initializations, {"m": 0, "d": 2}, "m=0"),
    ],
)
def test_bad_arguments_are_rejected_at_definition(factory, kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        factory(**kwargs)
