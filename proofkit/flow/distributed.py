"""Sweeps on ``dask.distributed``: a LocalCluster sized to the machine, or a running cluster.

Only imported when a scheduler is asked for (``proofkit sweep --scheduler local|ADDRESS``
or ``PROOFKIT_SCHEDULER``); Dask is the optional ``dask`` extra
(``pip install 'proofkit[dask]'``) and nothing else in proofkit needs it.

* Every (width, seed) cell is one task, :func:`proofkit.flow.sweep.run_one`, a pure
  function of its seeded arguments: the results equal the serial run's, seed for seed.
* Failed tasks are retried (``retries``); a worker that dies has its tasks rescheduled by
  the scheduler.
* Results are gathered as they complete and, with ``runs_path``, appended to a JSON-lines
  file at once, so a lost worker (or a killed client) loses no finished cell.
* Progress is Dask's own text progress bar (``TextProgressBar``, fed by the scheduler's
  progress plugin), drawn on stderr.
"""

from __future__ import annotations

import importlib.util
import json
import os
import threading

from ..errors import InputError

__all__ = ["ENV_VAR", "dask_available", "resolve_scheduler", "run_cells"]

ENV_VAR = "PROOFKIT_SCHEDULER"
RETRIES = 2


def dask_available() -> bool:
    """True when ``dask.distributed`` is importable (checked without importing it)."""
    return importlib.util.find_spec("distributed") is not None


def resolve_scheduler(option: str | None) -> str | None:
    """The scheduler to use: the option, else ``$PROOFKIT_SCHEDULER``, else None (serial).

    ``"local"`` means a LocalCluster on this machine; anything else is a scheduler address
    such as ``tcp://10.0.0.5:8786``.  Asking for one without Dask installed is an error.
    """
    value = option if option is not None else (os.environ.get(ENV_VAR) or None)
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise InputError("--scheduler '': give 'local' or a scheduler address (tcp://host:port)")
    if not dask_available():
        raise InputError(f"--scheduler {value!r} needs dask.distributed, which is not installed "
                         "(pip install 'proofkit[dask]')")
    return value


def _client(scheduler: str):
    from distributed import Client, LocalCluster

    if scheduler == "local":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
            os.cpu_count() or 1)
        # one single-threaded process per core: the GD steps' BLAS calls do not oversubscribe
        cluster = LocalCluster(n_workers=max(1, cores), threads_per_worker=1, processes=True,
                               dashboard_address=None,
                               env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                                    "MKL_NUM_THREADS": "1"})
        return Client(cluster), cluster
    return Client(scheduler), None


def run_cells(problem, cells, kw: dict, *, first_seed, scheduler, runs_path=None,
              show_progress: bool = True, client=None) -> list[dict]:
    """Run :func:`run_one` for every ``(m, seed)`` in ``cells`` on Dask; results in order.

    ``client`` (a ``distributed.Client``) is used as is when given (the tests pass one);
    otherwise one is made from ``scheduler`` and closed afterwards, with its LocalCluster.
    """
    from distributed import as_completed

    from .sweep import run_one

    own = client is None
    cluster = None
    if own:
        client, cluster = _client(scheduler)
    try:
        prob = client.scatter(problem, broadcast=True)
        futures = [client.submit(run_one, prob, m, s, curve=s == first_seed, **kw,
                                 key=f"proofkit-sweep-m{m}-seed{s}-{i}", retries=RETRIES,
                                 pure=False)
                   for i, (m, s) in enumerate(cells)]
        index = {f.key: i for i, f in enumerate(futures)}
        bar = None
        if show_progress:
            bar = threading.Thread(target=_stderr_progress(), args=(futures,), daemon=True)
            bar.start()
        results: list = [None] * len(cells)
        sink = open(runs_path, "a", encoding="utf-8") if runs_path else None
        try:
            for fut, res in as_completed(futures, with_results=True):
                results[index[fut.key]] = res
                if sink is not None:
                    sink.write(json.dumps(res["row"]) + "\n")
                    sink.flush()
                    os.fsync(sink.fileno())
        finally:
            if sink is not None:
                sink.close()
        if bar is not None:
            bar.join(timeout=5)
        return results
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def _stderr_progress():
    """Dask's text progress bar (scheduler-side progress plugin), drawn on stderr so that
    ``--json`` output on stdout stays clean."""
    import sys

    from distributed.diagnostics.progressbar import TextProgressBar

    class StderrBar(TextProgressBar):
        def _draw_bar(self, remaining, all, **kwargs):
            frac = (1 - remaining / all) if all else 1.0
            sys.stderr.write(f"\r[{'#' * int(self.width * frac):<{self.width}}] | "
                             f"{int(100 * frac)}% Completed | {self.elapsed:.1f} s")
            sys.stderr.flush()

        def _draw_stop(self, **kwargs):
            sys.stderr.write("\n")
            sys.stderr.flush()

    return lambda futures: StderrBar(futures, complete=True)
