"""Exception families.  Each subclasses the built-in a user would catch.

- :class:`ProblemError` (a ``ValueError``): bad input to the Python API.  Every public
  function of :mod:`proofkit` and :mod:`proofkit.flow` raises it (or its subclass
  :class:`ArgumentError`) with a message naming the argument, the index where relevant,
  and the rule that was broken, e.g. ``x[3] has norm 1.2; Assumption 1 needs unit rows``.
- :class:`ArgumentError`: a :class:`ProblemError` about an argument other than the problem
  data (sizes, seeds, weights, tolerances, times, step counts).  It is also an
  :class:`InputError`, which :func:`proofkit.flow.run_flow` raised before.
- :class:`NamespaceError`: an :class:`ArgumentError` that is also a ``TypeError``: arrays of
  different namespaces (NumPy with CuPy, say) given together, or a non-array.
- :class:`InputError` (a ``ValueError``): bad user input other than problem data: CLI
  options, budgets, JSON files.
- :class:`RoundingWarning` (a ``UserWarning``): a float64 number is below its own rounding
  level, e.g. ``kernels.lambda_star`` when ``λ* < N·eps·‖H∞‖``.
"""

from __future__ import annotations

__all__ = ["ArgumentError", "InputError", "NamespaceError", "ProblemError", "RoundingWarning"]


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


class NamespaceError(ArgumentError, TypeError):
    """Arrays of different namespaces mixed in one call (never silently converted)."""


class RoundingWarning(UserWarning):
    """A float result is below its rounding level, so its digits (even its sign) may be wrong.

    Raised by :func:`proofkit.kernels.lambda_star` when ``λ* < N · eps · ‖H∞‖₂``; the
    certified enclosure of :func:`proofkit.precision.certified_lambda_star` is the remedy.
    """
