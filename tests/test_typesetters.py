"""The build's typesetting processes (renderer.build._Typesetters): answers in order, and
a worker that dies without answering is an error, not a build that waits for ever (the
surviving worker's answer, as big as a PDF, must not fill a pipe nobody reads)."""

from __future__ import annotations

import faulthandler
import os
import signal
import time
import weakref

import pytest

from renderer import build
from renderer.build import _Typesetters


def job(number: int, how: str, *, progress) -> tuple[int, int, bytes]:
    for page in range(1, 4):
        progress(number, "layout", page)
    if how == "die":
        os._exit(3)  # as a crash in a C library would: no exception, no answer
    if how == "segfault":
        faulthandler.disable()  # pytest's dump of the crash would only be noise here
        os.kill(os.getpid(), signal.SIGSEGV)
    return number, os.getpid(), bytes(1 << 20)  # as big as a PDF: more than a pipe holds


def run(*hows: str, heard: list | None = None, workers: int | None = None) -> list:
    with _Typesetters(len(hows) if workers is None else workers) as typesetters:
        typesetters.submit(job, [(number, how) for number, how in enumerate(hows)])
        return typesetters.collect(lambda *report: (heard if heard is not None else []
                                                    ).append(report))


def test_each_job_runs_in_its_own_process_and_answers_in_order():
    heard = []
    answers = run("ok", "ok", heard=heard)
    assert [number for number, _, _ in answers] == [0, 1]
    pids = {pid for _, pid, _ in answers}
    assert len(pids) == 2 and os.getpid() not in pids
    for number in (0, 1):  # what each job reported as it went reached the build, in order
        assert [report for report in heard if report[0] == number] == [
            (number, "layout", page) for page in (1, 2, 3)]


def test_without_workers_the_jobs_run_here_and_report_the_same():
    heard = []
    answers = run("ok", "ok", heard=heard, workers=0)
    assert {pid for _, pid, _ in answers} == {os.getpid()}
    assert heard == [(number, "layout", page) for number in (0, 1) for page in (1, 2, 3)]


@pytest.mark.parametrize("how", ["die", "segfault"])
def test_a_worker_that_dies_without_answering_fails_the_build(how):
    def waited_too_long(*_):
        raise TimeoutError("the build is still waiting for an answer")

    previous = signal.signal(signal.SIGALRM, waited_too_long)
    signal.alarm(20)
    try:
        with pytest.raises(RuntimeError, match="ended without an answer"):
            run(how, "ok")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Edition:
    """Stands for one edition's composed HTML in a job's arguments. Each copy a process
    unpickles is in ALIVE (a weak set: it does not keep them; the collector's own lists
    would not show the ones a warm-up froze)."""

    def __init__(self, name: str):
        self.name = name

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        ALIVE.add(self)


ALIVE: weakref.WeakSet = weakref.WeakSet()


def editions_held(edition: Edition, *, progress) -> list[str]:
    return sorted(held.name for held in ALIVE)


def test_each_worker_keeps_only_its_own_job():
    """The jobs reach the warm process together; each fork (and the warm process, which
    runs the last job) lets go of the others' (15 MB of HTML each at 2,000 articles)."""
    with _Typesetters(3) as typesetters:
        typesetters.submit(editions_held, [(Edition(name),) for name in ("a", "b", "c")])
        assert typesetters.collect() == [["a"], ["b"], ["c"]]


def length(payload: bytes, *, progress) -> int:
    return len(payload)


def test_the_jobs_go_out_while_the_build_goes_on(tmp_path, monkeypatch):
    """The warm process reads its jobs only once it has warmed up. The build does not wait
    for that (it lints and stages the web edition meanwhile): the jobs, more than a pipe
    holds, are handed over before the warm-up ends."""
    warmed, here = tmp_path / "warmed", os.getpid()

    def slow_warm_up():
        if os.getpid() != here:  # in the warm process
            time.sleep(0.5)
            warmed.write_text(repr(time.monotonic()))  # system-wide: comparable here

    monkeypatch.setattr(build, "warm_up_job", slow_warm_up)
    with _Typesetters(2) as typesetters:
        typesetters.submit(length, [(bytes(8 << 20),)])
        handed_over = time.monotonic()
        assert typesetters.collect() == [8 << 20]
    assert handed_over < float(warmed.read_text())
