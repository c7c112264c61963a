"""proofkit: a symbolic-plus-numeric proof companion for Cocola & Hand (2020).

The facade holds imports and ``__all__`` only.
"""

from .backend import default_dtype, get_namespace, namespace, to_numpy, tolerance
from .counterexample import counterexample_instance, load_counterexample
from .kernels import (
    empirical_kernel,
    expected_pattern_kernel,
    h_infinity,
    h_infinity_monte_carlo,
    lambda_min,
    lambda_star,
    naive_empirical_kernel,
)
from .limit import crossing_drift, limit_generator
from .network import (
    BiasedNetwork,
    Network,
    activation_pattern,
    biased_directional_derivatives,
    biased_forward,
    biased_loss,
    biased_loss_and_gradient,
    biased_loss_gradient,
    biased_residuals,
    directional_derivatives,
    forward,
    init_biased_network,
    init_network,
    loss_and_gradient,
    loss_gradient,
    residual_vector,
    residuals,
    sobolev_loss,
)
from .problem import ProblemError, SobolevProblem, from_function, lift_bias, random_problem

__version__ = "0.1.0"

__all__ = [
    "BiasedNetwork",
    "Network",
    "ProblemError",
    "SobolevProblem",
    "__version__",
    "activation_pattern",
    "biased_directional_derivatives",
    "biased_forward",
    "biased_loss",
    "biased_loss_and_gradient",
    "biased_loss_gradient",
    "biased_residuals",
    "counterexample_instance",
    "crossing_drift",
    "default_dtype",
    "directional_derivatives",
    "empirical_kernel",
    "expected_pattern_kernel",
    "forward",
    "from_function",
    "get_namespace",
    "h_infinity",
    "h_infinity_monte_carlo",
    "init_biased_network",
    "init_network",
    "lambda_min",
    "lambda_star",
    "lift_bias",
    "limit_generator",
    "load_counterexample",
    "loss_and_gradient",
    "loss_gradient",
    "naive_empirical_kernel",
    "namespace",
    "random_problem",
    "residual_vector",
    "residuals",
    "sobolev_loss",
    "to_numpy",
    "tolerance",
]
