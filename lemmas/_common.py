"""Glue the claim modules share: deterministic examples and problem-only instance strategies.

Each ``*_example`` returns the ``example(*, n, d, k, m, seed)`` builder a :class:`Claim`
takes; :func:`problem_instances` is the ``instances(*, drop)`` of a claim whose instances
are ``{"problem": p}``.  Draw orders are those of :func:`proofkit.strategies.sobolev_problems`.
"""

from __future__ import annotations

from proofkit.network import init_network
from proofkit.problem import random_problem
from proofkit.strategies import sobolev_problems


def as_instance(problem) -> dict:
    return {"problem": problem}


def problem_instances(**ranges):
    """``instances(*, drop)`` drawing ``{"problem": p}`` from ``sobolev_problems(**ranges)``
    (``drop`` goes to ``sobolev_problems``, which relaxes that premise)."""

    def instances(*, drop: str | None = None):
        return sobolev_problems(**ranges, drop=drop).map(as_instance)

    return instances


def problem_example(*, min_n: int = 1, min_k: int = 0, **problem_kw):
    """``{"problem": random_problem(max(n, min_n), d, max(k, min_k), **problem_kw)}``."""

    def example(*, n: int, d: int, k: int, m: int = 0, seed: int = 0):
        return {"problem": random_problem(max(n, min_n), d, max(k, min_k), seed=seed,
                                          **problem_kw)}

    return example


def network_example(**extra):
    """A problem (seed) and the network (9) (seed + 1) of width m, plus ``extra`` entries."""

    def example(*, n: int, d: int, k: int, m: int, seed: int = 0):
        W, a = init_network(m, d, seed=seed + 1)
        return {"problem": random_problem(n, d, k, seed=seed), "W": W, "a": a, "m": m} | extra

    return example


def frequency_example(*, trials: int, **extra):
    """A problem, width m, δ = 0.1 and a seed: the instance of a frequency check over
    ``trials`` runs, plus ``extra`` entries."""

    def example(*, n: int, d: int, k: int, m: int, seed: int = 0):
        return {"problem": random_problem(n, d, k, seed=seed), "m": m, "delta": 0.1,
                "seed": seed, "trials": trials} | extra

    return example
