"""Exception families.  Each subclasses the built-in a user would catch."""

from __future__ import annotations

from .problem import ProblemError

__all__ = ["InputError", "ProblemError"]


class InputError(ValueError):
    """Bad user input other than problem data: options, budgets, JSON files.

    The message names the field and the rule, e.g.
    ``--budget 'huge' is not one of quick, default, deep``.
    """
