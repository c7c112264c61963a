"""Hypothesis profiles shared by tests/ and property_tests/.

``HYPOTHESIS_PROFILE=default`` (the default) is the fast cover profile that CI runs;
``HYPOTHESIS_PROFILE=deep`` runs the long searches; ``ci`` is ``default`` with derandomised
draws so CI failures replay.
"""

import os

from hypothesis import HealthCheck, settings

_SLOW_OK = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

settings.register_profile("default", max_examples=15, deadline=None,
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True,
                          database=None)
settings.register_profile("deep", max_examples=500, deadline=None,
                          suppress_health_check=_SLOW_OK, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
