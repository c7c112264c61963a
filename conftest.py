"""Hypothesis profiles of this repository's own tests (tests/, property_tests/).

The profiles come from proofkit's pytest plugin (:mod:`proofkit.pytest_plugin`, the same
settings users get with ``pytest --proofkit-profile=...``); here they are also registered
under the short names ``default``, ``ci`` and ``deep`` that ``HYPOTHESIS_PROFILE`` selects
(``default`` when unset; ``.ci/run`` sets ``ci``; ``deep`` runs the long searches).
"""

import os

from hypothesis import settings

from proofkit.pytest_plugin import register_profiles

register_profiles(prefix="")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
