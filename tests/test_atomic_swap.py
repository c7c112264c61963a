"""The report swap is one atomic step: a kill between ANY two file-system steps leaves the
folder holding the complete old report or the complete new one, and the next run works and
deletes nothing it did not create (#9)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import proofkit.report.atomic as atomic
from proofkit.errors import InputError
from proofkit.outdir import MANIFEST, read_manifest

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills a forked child")


def _publish(out: Path, tag: str, kill_at: int = 0, fallback: bool = False) -> int:
    """Publish a two-file report tagged ``tag`` into ``out`` from a forked child that dies
    (``os._exit(9)``, no clean-up at all) just before the ``kill_at``-th file-system step of
    the swap (0: never).  Returns the child's exit code."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 3
        try:
            steps = []

            def hook(name):
                steps.append(name)
                if len(steps) == kill_at:
                    os._exit(9)

            atomic.HOOK, atomic.FORCE_FALLBACK = hook, fallback
            _build(out, tag)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _build(out: Path, tag: str) -> None:
    with atomic.staged_directory(out, kind="test") as st:
        (st / "a.txt").write_text(tag)
        (st / "sub").mkdir()
        (st / "sub" / "b.txt").write_text(tag * 2)


def _report(tag: str) -> dict[str, str]:
    return {"a.txt": tag, "sub/b.txt": tag * 2}


def _content(out: Path) -> dict[str, str] | None:
    """The report in ``out`` (manifest checked and left out), or None when there is none."""
    if not out.exists():
        return None
    assert read_manifest(out) is not None, "a published folder always carries the manifest"
    files = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*")
             if p.is_file() and p.name != MANIFEST}
    assert sorted(files) == read_manifest(out)["files"]
    return files


def _foreign(tmp: Path) -> dict[str, str]:
    """User files beside the report, one of them in a folder named like a stale stage."""
    (tmp / "notes.txt").write_text("mine")
    look_alike = tmp / ".rep.stage-999999999-user"
    look_alike.mkdir()
    (look_alike / "keep.txt").write_text("also mine")
    return {"notes.txt": "mine", ".rep.stage-999999999-user/keep.txt": "also mine"}


def _foreign_intact(tmp: Path, foreign: dict[str, str]) -> None:
    for rel, text in foreign.items():
        assert (tmp / rel).read_text() == text, rel


def _steps(tmp: Path, fallback: bool, with_old: bool, monkeypatch) -> list[str]:
    """The file-system steps of one swap, recorded in-process."""
    out = tmp / "probe" / "rep"
    out.parent.mkdir()
    if with_old:
        _build(out, "old")
    steps: list[str] = []
    monkeypatch.setattr(atomic, "HOOK", steps.append)
    monkeypatch.setattr(atomic, "FORCE_FALLBACK", fallback)
    _build(out, "new")
    monkeypatch.setattr(atomic, "HOOK", None)
    monkeypatch.setattr(atomic, "FORCE_FALLBACK", False)
    assert _content(out) == _report("new")
    return steps


@pytest.mark.parametrize("fallback", [False, True], ids=["exchange", "two-renames"])
def test_kill_between_every_two_steps_of_a_swap(tmp_path, fallback, monkeypatch):
    steps = _steps(tmp_path, fallback, True, monkeypatch)
    if not fallback and sys.platform.startswith("linux"):
        assert "exchange" in steps and "move old away" not in steps, steps
    assert len(steps) >= 4
    for i in range(1, len(steps) + 1):
        tmp = tmp_path / f"kill{i}"
        tmp.mkdir()
        out = tmp / "rep"
        _build(out, "old")
        foreign = _foreign(tmp)
        assert _publish(out, "new", kill_at=i, fallback=fallback) == 9, steps[i - 1]
        if fallback and steps[i - 1] == "publish":
            # two renames: between them the old report waits in .rep.old-PID-*; the next
            # run (recover) puts it back before anything else
            assert not out.exists()
            atomic.recover(out)
        got = _content(out)
        assert got in (_report("old"), _report("new")), (i, steps[i - 1], got)
        _foreign_intact(tmp, foreign)
        # the following run works, cleans proofkit's leftovers only
        _build(out, "next")
        assert _content(out) == _report("next")
        _foreign_intact(tmp, foreign)
        assert sorted(p.name for p in tmp.iterdir()) == [
            ".rep.stage-999999999-user", "notes.txt", "rep"], (i, steps[i - 1])


def test_kill_during_first_publication_leaves_nothing_or_the_report(tmp_path, monkeypatch):
    steps = _steps(tmp_path, False, False, monkeypatch)
    for i in range(1, len(steps) + 1):
        tmp = tmp_path / f"kill{i}"
        tmp.mkdir()
        out = tmp / "rep"
        assert _publish(out, "new", kill_at=i) == 9
        assert _content(out) in (None, _report("new")), steps[i - 1]
        _build(out, "next")
        assert sorted(p.name for p in tmp.iterdir()) == ["rep"]


def test_swap_refuses_foreign_folders_and_deletes_nothing(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(InputError, match="not a proofkit folder"):
        with atomic.staged_directory(out):
            pytest.fail("the body must not run")
    assert (out / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_user_file_added_to_a_report_blocks_the_next_swap(tmp_path):
    out = tmp_path / "rep"
    with atomic.staged_directory(out, kind="test") as st:
        (st / "a.txt").write_text("x")
    (out / "my-notes.txt").write_text("keep")
    with pytest.raises(InputError, match="did not write"):
        with atomic.staged_directory(out, kind="test"):
            pass
    assert (out / "my-notes.txt").read_text() == "keep"


def test_an_empty_folder_is_taken_over(tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    with atomic.staged_directory(out, kind="test") as st:
        (st / "a.txt").write_text("x")
    assert (out / "a.txt").read_text() == "x" and read_manifest(out)["kind"] == "test"


def test_nested_proofkit_folder_is_proofkits(tmp_path):
    """`proofkit report --out REPORT/sub` inside a report does not make REPORT foreign."""
    from proofkit.outdir import foreign_entries, record_files

    out = tmp_path / "rep"
    with atomic.staged_directory(out, kind="test") as st:
        (st / "a.txt").write_text("x")
    (out / "sub").mkdir()
    (out / "sub" / "report.md").write_text("md")
    assert foreign_entries(out) == ["sub/report.md"]
    record_files(out / "sub", [out / "sub" / "report.md"], "report")
    assert foreign_entries(out) == []
    (out / "sub" / "mine.txt").write_text("user")
    assert foreign_entries(out) == ["sub/mine.txt"]
