"""pytest plugin (entry point ``pytest11``): proofkit's Hypothesis profiles for anyone's tests.

Installed with proofkit, it registers three Hypothesis profiles and a command-line option:

``proofkit-default``
    the fast cover profile (15 examples, no deadline, slow-data health checks off);
``proofkit-ci``
    the same, derandomised and without an example database, so a CI failure replays;
``proofkit-deep``
    the long searches (500 examples).

``pytest --proofkit-profile=deep`` (or ``PROOFKIT_PROFILE=deep``) loads one of them for the
session; without either, nothing is loaded and Hypothesis's own settings stay in force
(``--hypothesis-profile=proofkit-deep`` works too).  The names carry the ``proofkit-``
prefix so that they never replace a project's own ``default`` or ``ci`` profile.
"""

from __future__ import annotations

import os

__all__ = ["PROFILES", "register_profiles"]

PROFILES = ("default", "ci", "deep")


def register_profiles(prefix: str = "proofkit-") -> None:
    """Register the three profiles as ``<prefix>default``, ``<prefix>ci``, ``<prefix>deep``."""
    from hypothesis import HealthCheck, settings

    slow_ok = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
    settings.register_profile(f"{prefix}default", max_examples=15, deadline=None,
                              suppress_health_check=slow_ok, print_blob=True)
    settings.register_profile(f"{prefix}ci", parent=settings.get_profile(f"{prefix}default"),
                              derandomize=True, database=None)
    settings.register_profile(f"{prefix}deep", max_examples=500, deadline=None,
                              suppress_health_check=slow_ok, print_blob=True)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("proofkit")
    group.addoption("--proofkit-profile", action="store", default=None, choices=PROFILES,
                    help="load proofkit's Hypothesis profile: default (fast cover), ci "
                    "(derandomised, no database) or deep (long searches); also "
                    "PROOFKIT_PROFILE")


def pytest_configure(config) -> None:
    register_profiles()
    name = config.getoption("--proofkit-profile") or os.environ.get("PROOFKIT_PROFILE")
    if name:
        if name not in PROFILES:
            import pytest

            raise pytest.UsageError(f"PROOFKIT_PROFILE={name!r}; it must be one of "
                                    f"{', '.join(PROFILES)}")
        from hypothesis import settings

        settings.load_profile(f"proofkit-{name}")


def pytest_report_header(config) -> str | None:
    name = config.getoption("--proofkit-profile") or os.environ.get("PROOFKIT_PROFILE")
    return f"proofkit: Hypothesis profile proofkit-{name}" if name else None
