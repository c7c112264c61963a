"""Gradient-flow engine: GD, adaptive ODE, exact event-driven, linearized and H∞ flows.

Facade only: imports and ``__all__``.
"""

from .exact import exact_flow, phi1
from .gd import gd_flow
from .limit import crossing_flux, limit_flow
from .linear import infinite_width_flow, linearized_flow
from .ode import ode_flow
from .record import Event, Trajectory
from .run import INTEGRATORS, default_eta, run_flow
from .validate import validate_theorem1, validate_theorem2, width_required

__all__ = [
    "INTEGRATORS",
    "Event",
    "Trajectory",
    "crossing_flux",
    "default_eta",
    "exact_flow",
    "gd_flow",
    "infinite_width_flow",
    "limit_flow",
    "linearized_flow",
    "ode_flow",
    "phi1",
    "run_flow",
    "validate_theorem1",
    "validate_theorem2",
    "width_required",
]
