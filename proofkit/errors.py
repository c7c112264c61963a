"""Exception families.  Each subclasses the built-in a user would catch.

- :class:`ProblemError` (a ``ValueError``): bad input to the Python API.  Every public
  function of :mod:`proofkit` and :mod:`proofkit.flow` raises it (or its subclass
  :class:`ArgumentError`) with a message naming the argument, the index where relevant,
  and the rule that was broken, e.g. ``x[3] has norm 1.2; Assumption 1 needs unit rows``.
- :class:`ArgumentError`: a :class:`ProblemError` about an argument other than the problem
  data (sizes, seeds, weights, tolerances, times, step counts).  It is also an
  :class:`InputError`, which :func:`proofkit.flow.run_flow` raised before.
- :class:`InputError` (a ``ValueError``): bad user input other than problem data: CLI
  options, budgets, JSON files.
"""

from __future__ import annotations

__all__ = ["ArgumentError", "InputError", "ProblemError"]


class ProblemError(ValueError):
    """Bad problem data: the message names the field, the index and the rule."""


class InputError(ValueError):
    """Bad user input other than problem data: options, budgets, JSON files.

    The message names the field and the rule, e.g.
    ``--budget 'huge' is not one of quick, default, deep``.
    """


class ArgumentError(ProblemError, InputError):
    """A bad argument of a public function (not the problem data itself).

    The message names the argument, the index where relevant, and the rule, e.g.
    ``seed = -1; it must be an integer >= 0 or a numpy.random.Generator``.
    """
