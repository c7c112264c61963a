"""Helpers for tests written against proofkit (its own and users')."""

from __future__ import annotations

from hypothesis import settings

__all__ = ["scaled_examples"]

_DEFAULT_EXAMPLES = 15  # max_examples of the "default" profile in the root conftest.py


def scaled_examples(n: int) -> int:
    """``n`` examples under the fast default profile; a proportional share of a larger one.

    For expensive properties: ``@settings(max_examples=scaled_examples(4))`` runs 4 examples in
    CI and ``4 · 500/15`` under ``HYPOTHESIS_PROFILE=deep``.
    """
    return max(n, n * settings.default.max_examples // _DEFAULT_EXAMPLES)
