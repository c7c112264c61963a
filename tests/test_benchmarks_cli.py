"""``python -m benchmarks`` writes the tracked docs/performance.md only with --write-docs."""

from __future__ import annotations

import importlib

import pytest

bench_main = importlib.import_module("benchmarks.__main__")


@pytest.fixture
def fake_run(monkeypatch, tmp_path):
    monkeypatch.setattr(bench_main, "run_all", lambda sizes, progress=None, threads=None: {"results": []})
    monkeypatch.setattr(bench_main, "format_table", lambda report: "table")
    monkeypatch.setattr(bench_main, "format_markdown",
                        lambda report, mode, command: f"# report ({command})\n")
    target = tmp_path / "docs" / "performance.md"
    monkeypatch.setattr(bench_main, "DEFAULT_OUTPUT", target)
    return target


def test_no_file_unless_asked(fake_run, capsys):
    assert bench_main.main(["--quick"]) == 0
    assert not fake_run.exists() and capsys.readouterr().out.strip() == "table"


def test_write_docs_and_output(fake_run, tmp_path):
    assert bench_main.main(["--quick", "--write-docs"]) == 0
    assert "--write-docs" in fake_run.read_text()
    other = tmp_path / "elsewhere.md"
    assert bench_main.main(["--quick", "--output", str(other)]) == 0
    assert other.is_file()
    with pytest.raises(SystemExit):
        bench_main.main(["--write-docs", "--output", str(other)])
