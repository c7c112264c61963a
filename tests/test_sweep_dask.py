"""Sweeps on dask.distributed equal the serial sweep, seed for seed (skipped without Dask)."""

from __future__ import annotations

import json

import pytest

from proofkit.errors import InputError
from proofkit.flow import distributed as dist
from proofkit.flow.sweep import sweep
from proofkit.problem import random_problem

WIDTHS, SEEDS = [30, 120], [0, 1, 2]
KW = {"t_max": 0.5, "rows": 10}


@pytest.fixture(scope="module")
def problem():
    return random_problem(4, 5, 2, seed=0)


@pytest.fixture(scope="module")
def serial(problem):
    return sweep(problem, WIDTHS, SEEDS, **KW)


@pytest.fixture(scope="module")
def cluster():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as lc, Client(lc) as client:
        yield lc, client


def _same(a, b):
    assert json.dumps(a["rows"]) == json.dumps(b["rows"])  # bit for bit, seed for seed
    assert json.dumps(a["by_width"]) == json.dumps(b["by_width"])
    assert json.dumps(a["curves"]) == json.dumps(b["curves"])
    assert a["slopes"] == b["slopes"] or json.dumps(a["slopes"]) == json.dumps(b["slopes"])


def test_local_cluster_equals_serial_and_writes_each_run(problem, serial, cluster, tmp_path,
                                                         monkeypatch):
    _lc, client = cluster
    from proofkit.flow import sweep as sweep_mod

    real = dist.run_cells
    monkeypatch.setattr(dist, "run_cells",
                        lambda *a, **k: real(*a, **(k | {"client": client})))
    runs = tmp_path / "sweep-runs.jsonl"
    res = sweep_mod.sweep(problem, WIDTHS, SEEDS, scheduler="local", runs_path=str(runs), **KW)
    _same(res, serial)
    lines = [json.loads(x) for x in runs.read_text().splitlines()]
    assert sorted((r["m"], r["seed"]) for r in lines) == [(m, s) for m in WIDTHS for s in SEEDS]
    assert {json.dumps(r) for r in lines} == {json.dumps(r) for r in serial["rows"]}


def test_scheduler_address_equals_serial(problem, serial, cluster):
    lc, _ = cluster
    res = sweep(problem, WIDTHS, SEEDS, scheduler=lc.scheduler_address, **KW)
    _same(res, serial)


def test_cli_sweep_on_a_scheduler_address(cluster, tmp_path, capsys):
    from proofkit.cli import main

    lc, _ = cluster
    args = ["sweep", "--widths", "30,120", "--seeds", "0,1", "--t-max", "0.5", "--json"]
    assert main([*args, "--quiet"]) == 0
    serial_out = json.loads(capsys.readouterr().out)
    assert main([*args, "--scheduler", lc.scheduler_address, "--out", str(tmp_path)]) == 0
    cap = capsys.readouterr()
    dask_out = json.loads(cap.out)  # Dask's progress bar went to stderr, not into the JSON
    assert "100% Completed" in cap.err
    assert json.dumps(dask_out["rows"]) == json.dumps(serial_out["rows"])
    assert len((tmp_path / "sweep-runs.jsonl").read_text().splitlines()) == 4
    assert (tmp_path / "sweep.json").exists()


def test_no_scheduler_means_serial(monkeypatch):
    monkeypatch.delenv(dist.ENV_VAR, raising=False)
    assert dist.resolve_scheduler(None) is None
    monkeypatch.setenv(dist.ENV_VAR, "tcp://example:8786")
    if dist.dask_available():
        assert dist.resolve_scheduler(None) == "tcp://example:8786"
    else:
        with pytest.raises(InputError, match="proofkit\\[dask\\]"):
            dist.resolve_scheduler(None)


def test_scheduler_without_dask_is_one_clear_error(monkeypatch):
    monkeypatch.setattr(dist, "dask_available", lambda: False)
    with pytest.raises(InputError, match="--scheduler 'local' needs dask"):
        dist.resolve_scheduler("local")


def test_importing_proofkit_and_the_sweep_does_not_import_dask():
    import subprocess
    import sys

    code = ("import sys, proofkit, proofkit.flow.sweep, proofkit.flow.command; "
            "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
