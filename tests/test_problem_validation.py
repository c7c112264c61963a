"""Problem data (2) validated at the edge: each class of bad input gives a ProblemError
(a ValueError) whose message names the field, the index and the rule; valid data is frozen,
copied and round-trips through JSON bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import proofkit as pk
from proofkit.backend import tolerance

EPS_TOL = tolerance(np.float64, 64.0)  # a few dozen ulps: round-off of short sums


def _arrays(problem):
    return tuple(np.array(a, copy=True) for a in problem.host())


@pytest.fixture(scope="module")
def base():
    return pk.random_problem(5, 6, 2, separation=0.2, seed=11)


def _build(base, **replace):
    x, y, V, h = _arrays(base)
    fields = {"x": x, "y": y, "V": V, "h": h} | replace
    return pk.SobolevProblem(**fields)


# ---------------------------------------------------------------------------------------
# each class of bad input gives a ProblemError naming the field, the index and the rule
# ---------------------------------------------------------------------------------------
def test_problem_error_is_a_value_error():
    assert issubclass(pk.ProblemError, ValueError)


def test_non_unit_row_names_row_and_assumption(base):
    x = _arrays(base)[0]
    x[3] *= 1.2
    with pytest.raises(pk.ProblemError, match=r"x\[3\].*norm 1\.2.*Assumption 1.*unit"):
        _build(base, x=x)


def test_zero_row_is_rejected(base):
    x = _arrays(base)[0]
    x[1] = 0.0
    with pytest.raises(pk.ProblemError, match=r"x\[1\].*norm 0.*unit"):
        _build(base, x=x)


def test_row_within_tolerance_is_accepted(base):
    x = _arrays(base)[0]
    x[2] *= 1.0 + 0.25 * tolerance(np.float64, power=0.5)
    assert _build(base, x=x).n == base.n


def test_parallel_columns_name_frame_columns_and_rule(base):
    V = _arrays(base)[2]
    V[2, :, 1] = V[2, :, 0]
    with pytest.raises(pk.ProblemError, match=r"V\[2\].*columns 0,1.*orthonormal"):
        _build(base, V=V)


def test_non_unit_column_names_frame_and_rule(base):
    V = _arrays(base)[2]
    V[4, :, 1] *= 2.0
    with pytest.raises(pk.ProblemError, match=r"V\[4\].*columns 1,1.*orthonormal"):
        _build(base, V=V)


@pytest.mark.parametrize(
    ("field", "index", "value"),
    [
        ("x", (0, 2), math.nan),
        ("y", (1,), math.nan),
        ("V", (3, 4, 0), -math.inf),
        ("h", (2, 1), math.inf),
    ],
)
def test_non_finite_entry_names_field_and_index(base, field, index, value):
    arrays = dict(zip("xyVh", _arrays(base), strict=True))
    arrays[field][index] = value
    shown = re_index(field, index)
    with pytest.raises(pk.ProblemError, match=shown + r".*finite"):
        pk.SobolevProblem(**arrays)


def re_index(field, index):
    """The regex of ``field[i, j, ...]`` as the error message writes it."""
    return re.escape(f"{field}{list(index)}")


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_non_finite_entry_is_located(data):
    base = pk.random_problem(3, 4, 2, seed=3)
    arrays = dict(zip("xyVh", _arrays(base), strict=True))
    field = data.draw(st.sampled_from("xyVh"))
    index = tuple(data.draw(st.integers(0, s - 1)) for s in arrays[field].shape)
    arrays[field][index] = data.draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    with pytest.raises(pk.ProblemError, match=re_index(field, index) + r".*finite"):
        pk.SobolevProblem(**arrays)


@pytest.mark.parametrize(
    ("replace", "pattern"),
    [
        (lambda x, y, V, h: {"x": x[:, :, None]}, r"^x has shape \(5, 6, 1\).*\(n, d\)"),
        (lambda x, y, V, h: {"y": y[:4]}, r"^y has shape \(4,\).*\(5,\)"),
        (lambda x, y, V, h: {"y": y[:, None]}, r"^y has shape \(5, 1\)"),
        (lambda x, y, V, h: {"V": V[:4]}, r"^V has shape \(4, 6, 2\).*\(5, 6, k\)"),
        (lambda x, y, V, h: {"V": V[:, :5]}, r"^V has shape \(5, 5, 2\)"),
        (lambda x, y, V, h: {"V": V[..., 0]}, r"^V has shape \(5, 6\)"),
        (lambda x, y, V, h: {"h": h[:, :1]}, r"^h has shape \(5, 1\).*\(5, 2\)"),
        (lambda x, y, V, h: {"h": h.reshape(-1)}, r"^h has shape \(10,\)"),
        (
            lambda x, y, V, h: {"V": np.zeros((5, 6, 7)), "h": np.zeros((5, 7))},
            r"^V has k = 7 columns in d = 6.*k <= d",
        ),
        (
            lambda x, y, V, h: {"x": np.zeros((0, 6)), "y": np.zeros(0),
                                "V": np.zeros((0, 6, 2)), "h": np.zeros((0, 2))},
            r"^x has shape \(0, 6\).*n >= 1",
        ),
    ],
)
def test_shape_mismatch_names_field_and_expected_shape(base, replace, pattern):
    with pytest.raises(pk.ProblemError, match=pattern):
        _build(base, **replace(*_arrays(base)))


def test_shape_is_checked_before_finiteness(base):
    """A wrong shape is reported as such, even when the array also holds a NaN."""
    y = np.full(4, math.nan)
    with pytest.raises(pk.ProblemError, match=r"^y has shape"):
        _build(base, y=y)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"n": 0, "d": 3, "k": 0}, r"^n = 0.*integer >= 1"),
        ({"n": 2, "d": 0, "k": 0}, r"^d = 0.*integer >= 1"),
        ({"n": 2, "d": 3, "k": -1}, r"^k = -1.*integer >= 0"),
        ({"n": 2.0, "d": 3, "k": 0}, r"^n = 2\.0.*integer"),
        ({"n": 2, "d": 3, "k": 1, "separation": 2.5}, r"^separation = 2\.5.*\[0, 2\]"),
        ({"n": 2, "d": 3, "k": 1, "vx_norm": 1.5}, r"^vx_norm = 1\.5.*\[0, 1\]"),
        ({"n": 2, "d": 2, "k": 2}, r"k = 2 directions need d >= k \+ 1 = 3"),
        ({"n": 40, "d": 2, "k": 0, "separation": 1.9, "max_tries": 500},
         r"separation=1\.9 is infeasible.*rule \(7\)"),
        ({"n": 40, "d": 2, "k": 0, "separation": 1.9, "assumption": 2, "max_tries": 500},
         r"separation=1\.9 is infeasible.*rule \(13\)"),
    ],
)
def test_random_problem_rejects_bad_requests(kwargs, pattern):
    with pytest.raises(pk.ProblemError, match=pattern):
        pk.random_problem(**kwargs)


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.25, 1.5, math.nan, math.inf])
def test_lift_bias_rejects_alpha_outside_open_unit_interval(base, alpha):
    with pytest.raises(pk.ProblemError, match=r"^alpha = .*alpha in \(0, 1\)"):
        pk.lift_bias(base, alpha)


def test_from_function_rejects_wrong_gradient_shape():
    x = np.eye(3)[:2]
    V = np.stack([np.eye(3)[:, [2]]] * 2)
    with pytest.raises(pk.ProblemError, match=r"grad returned shape \(4,\).*\(3,\)"):
        pk.from_function(lambda z: 0.0, lambda z: np.ones(4), x, V)


def test_from_function_rejects_mismatched_points_and_frames():
    with pytest.raises(pk.ProblemError, match=r"x has shape \(2, 3\) and V \(2, 4, 1\)"):
        pk.from_function(lambda z: 0.0, lambda z: z, np.eye(3)[:2], np.zeros((2, 4, 1)))


@pytest.mark.parametrize(
    ("data", "pattern"),
    [
        ([1, 2], r"JSON object, got list"),
        ({"x": [[1.0]], "y": [0.0], "V": [[[]]], "h": [[]]}, r"missing the field 'shape'"),
        ({"shape": [1, 1, 0], "y": [0.0], "V": [[[]]], "h": [[]]}, r"missing the field 'x'"),
        ({"shape": [1, 1, 0], "x": [["a"]], "y": [0.0], "V": [[[]]], "h": [[]]},
         r"non-numeric or ragged"),
        ({"shape": [2, 2, 0], "x": [[1.0, 0.0], [1.0]], "y": [0, 0], "V": [], "h": []},
         r"non-numeric or ragged"),
    ],
)
def test_from_dict_rejects_malformed_json(data, pattern):
    with pytest.raises(pk.ProblemError, match=pattern):
        pk.SobolevProblem.from_dict(data)


# ---------------------------------------------------------------------------------------
# frozen and round-tripping
# ---------------------------------------------------------------------------------------
def test_problem_is_frozen_and_its_arrays_read_only(base):
    with pytest.raises(dataclasses.FrozenInstanceError):
        base.x = np.zeros_like(base.x)
    for name in "xyVh":
        with pytest.raises(ValueError, match="read-only"):
            getattr(base, name)[(0,) * getattr(base, name).ndim] = 1.0


def test_problem_copies_the_callers_arrays():
    x, y, V, h = _arrays(pk.random_problem(3, 4, 1, seed=5))
    before = y.copy()
    p = pk.SobolevProblem(x, y, V, h)
    y[0] += 1.0
    x[0] = 0.0
    assert np.array_equal(p.y, before) and np.linalg.norm(p.x[0]) > 0.5


def test_to_dict_from_dict_round_trips_bit_for_bit(base):
    import json

    back = pk.SobolevProblem.from_dict(json.loads(json.dumps(base.to_dict())))
    for a, b in zip(base.host(), back.host(), strict=True):
        assert a.shape == b.shape
        assert np.array_equal(a, b)


def test_to_dict_from_dict_round_trips_k_zero():
    p = pk.random_problem(3, 4, 0, seed=1)
    back = pk.SobolevProblem.from_dict(p.to_dict())
    assert (back.n, back.d, back.k) == (3, 4, 0)
    assert np.array_equal(back.x, p.x)
