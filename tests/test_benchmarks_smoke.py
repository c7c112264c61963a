"""Smoke test of the benchmark runner (issue 6) at toy sizes: JSON shape and the checks.

The benchmarks are not timed tests: only the shape of the report and the rule "the two
sides must agree before a time is reported" are asserted here.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("benchmarks") is None:  # plain `pytest` does not put ROOT on the path
    sys.path.insert(0, str(ROOT))

from benchmarks import SIZES, gd_step, kernel, run_all, runner  # noqa: E402
from benchmarks._common import met  # noqa: E402
from proofkit.backend import tolerance  # noqa: E402

TOY = SIZES["toy"]


@pytest.fixture(scope="module")
def report():
    return run_all(TOY)


def test_report_shape(report):
    assert set(report) >= {"results", "machine"}
    json.loads(json.dumps(report))  # JSON-able as printed by --json
    names = [r["name"] for r in report["results"]]
    for needle in ("its products", "torch double backprop", "J Jᵀ", "W_exact", "DOP853 time",
                   "certified λ*", "scaling exponent", "peak memory"):
        assert sum(needle in n for n in names) == 1, (needle, names)
    for r in report["results"]:
        assert {"name", "value", "unit", "target", "met"} <= set(r), r
        if r["met"] is None:
            assert r["value"] is None and r.get("reason"), r
        else:
            assert isinstance(r["met"], bool) and math.isfinite(r["value"]), r
            if not r.get("reason"):  # a row flagged with a reason may override `met`
                assert r["met"] == met(r["value"], r["target"]), r
    mach = report["machine"]
    assert {"cpu", "cores", "numpy", "python", "date", "blas"} <= set(mach)


def test_rows_measured_at_toy_sizes(report):
    rows = {r["name"]: r for r in report["results"]}
    step = next(r for n, r in rows.items() if n.startswith("GD step / its products"))
    assert step["met"] is not None and step["detail"]["W_rel_err_vs_plain_step"] <= 1e-12
    assert "run_flow" in step["detail"]["timed"] and step["spread"][0] <= step["value"]
    assert step["detail"]["amortised_ratio_to_products"]["median"] > 0
    assert step["detail"]["blas_threads"] >= 1
    mem = next(r for n, r in rows.items() if "peak memory" in n)
    assert mem["met"] is not None and mem["detail"]["status"] == "completed"
    assert 0 < mem["value"] * 1e9 <= mem["detail"]["process_peak_bytes"]
    ker = next(r for n, r in rows.items() if "J Jᵀ" in n)
    torch_row = next(r for n, r in rows.items() if "torch double backprop" in n)
    if importlib.util.find_spec("torch") is None:
        assert torch_row["met"] is None and "torch" in torch_row["reason"]
        assert ker["met"] is None and "torch" in ker["reason"]
    else:
        assert torch_row["detail"]["torch_W_rel_err"] <= 1e-10
        assert ker["met"] is not None and max(ker["detail"]["rel_err"].values()) <= 1e-10


def test_markdown_names_machine_and_every_row(report):
    md = runner.format_markdown(report, mode="toy", command="pytest")
    assert report["machine"]["cpu"] in md and report["machine"]["date"] in md
    assert all(r["name"] in md for r in report["results"])


def _wrong_plain_W(problem, W, a, steps):
    return gd_step._true_plain_W(problem, W, a, steps) * (1 + 1e-9)


def test_mismatched_step_reports_no_time(monkeypatch):
    monkeypatch.setattr(gd_step, "_true_plain_W", gd_step._plain_W, raising=False)
    monkeypatch.setattr(gd_step, "_plain_W", _wrong_plain_W)
    d, n, k = TOY.gd_dnk
    rows = runner._guard([("step", "x", "<= 1.2"), ("torch", "x", ">= 5")],
                         lambda: gd_step.bench_gd(500, d, n, k, steps=2, repeat=1))
    assert len(rows) == 2
    for r in rows:
        assert r["met"] is None and r["value"] is None and "disagree" in r["reason"]


def test_mismatched_kernel_reports_no_time(monkeypatch):
    import proofkit.kernels as kernels

    true_kernel = kernels.empirical_kernel
    if importlib.util.find_spec("torch") is None:
        pytest.skip("the kernel row needs torch")
    monkeypatch.setattr(kernels, "empirical_kernel",
                        lambda p, W, a=None: true_kernel(p, W, a) + 1e-6 * np.eye(p.N))
    (r,) = runner._guard([("kernel", "x", ">= 100")],
                         lambda: kernel.bench_kernel(*TOY.kernel, repeat=1))
    assert r["met"] is None and r["value"] is None and "disagree" in r["reason"]


def test_jacobian_gram_is_the_kernel():
    from proofkit.kernels import empirical_kernel

    problem, W, a = gd_step.gd_inputs(30, 5, 3, 2)
    J = kernel.jacobian(problem, W, a)
    assert J.shape == (problem.N, 30 * 5)
    np.testing.assert_allclose(J @ J.T, empirical_kernel(problem, W, a), rtol=0,
                               atol=tolerance(np.float64, 1e3))


def test_docs_are_written_only_when_asked(report, monkeypatch, tmp_path, capsys):
    import benchmarks.__main__ as cli

    target = tmp_path / "performance.md"
    monkeypatch.setattr(cli, "run_all", lambda *a, **k: report)
    monkeypatch.setattr(cli, "DEFAULT_OUTPUT", target)
    assert cli.main(["--quick", "--json"]) == 0
    assert not target.exists()  # no --write-docs: nothing written
    json.loads(capsys.readouterr().out)
    assert cli.main(["--quick", "--write-docs"]) == 0
    text = target.read_text(encoding="utf-8")
    assert "--write-docs" in text and all(r["name"] in text for r in report["results"])
    assert cli.main(["--threads", "0"]) == 2
