"""docs/strategies.md: its examples run as doctests; the plugin is declared as a pytest11
entry point; a user's test file outside the repository gets the plugin's profiles and the
public strategies (pytester)."""

from __future__ import annotations

import doctest
import os
import tomllib
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]


def test_strategies_page_examples_run(monkeypatch):
    monkeypatch.chdir(ROOT)  # the page's paths are relative to the repository root
    res = doctest.testfile(str(ROOT / "docs" / "strategies.md"), module_relative=False,
                           optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                           raise_on_error=False, verbose=False)
    assert res.attempted >= 10 and res.failed == 0


def test_plugin_is_a_pytest11_entry_point():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert meta["project"]["entry-points"]["pytest11"] == {"proofkit": "proofkit.pytest_plugin"}
    assert any(dep.startswith("tqdm") for dep in meta["project"]["dependencies"])


def _plugin_args() -> list[str]:
    """``-p proofkit.pytest_plugin`` unless the installed entry point already loads it (a
    plugin given both ways would be registered twice)."""
    from importlib.metadata import entry_points

    installed = any(ep.value == "proofkit.pytest_plugin"
                    for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "proofkit.pytest_plugin"]


USER_TEST = '''
import proofkit
from hypothesis import example, given, settings
from proofkit.claims import get_claim
from proofkit.strategies import sobolev_problems

LEMMA6 = get_claim("lemma6")
PINNED = proofkit.counterexample_instance({path!r})
RUNS = []


def test_profile_comes_from_the_plugin():
    assert settings().max_examples == {expected}
    assert settings().deadline is None


@given(sobolev_problems(n=2, d=(3, 4), k=1, separation=0.1))
def test_user_property(p):
    RUNS.append(p)
    assert p.n == 2 and 3 <= p.d <= 4 and p.k == 1 and p.delta2 < 1


@given(LEMMA6.instances(drop="delta2"))
@example(PINNED)
def test_pinned_counterexample(instance):
    assert LEMMA6.check(instance, 30).holds or not LEMMA6.premises_hold(instance)


def test_the_pinned_case_really_fails():
    assert not LEMMA6.check(PINNED, 30).holds and not LEMMA6.premises_hold(PINNED)


def test_property_ran_as_often_as_the_profile_says():
    assert 1 <= len(RUNS) <= {expected}
'''


@pytest.mark.parametrize(("how", "expected"), [("option", 15), ("env", 15)])
def test_user_tests_outside_the_repo_use_the_plugin(pytester, monkeypatch, how, expected):
    data = ROOT / "tests" / "data" / "lemma6--delta2.json"
    pytester.makepyfile(test_user=USER_TEST.format(path=str(data), expected=expected))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    args = [*_plugin_args(), "-p", "no:cacheprovider", "-q"]
    if how == "option":
        args.append("--proofkit-profile=default")
    else:
        monkeypatch.setenv("PROOFKIT_PROFILE", "default")
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=5)
    assert str(pytester.path) != str(ROOT) and not (pytester.path / "conftest.py").exists()


def test_unknown_profile_is_a_usage_error(pytester):
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess(*_plugin_args(), "--proofkit-profile=huge")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*invalid choice*huge*"])
