"""The steady clock verify's runs and the generated tests read (verify/programs/clock.py).

Timing must decide alike in every run: each reading in the installing thread moves the clock
one step whatever the work between, sleeping moves it by the time slept, other threads keep
the real clock, and restoring puts the real functions back.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nb2prod.verify.programs import program

REAL = {name: getattr(time, name) for name in ("time", "time_ns", "perf_counter", "sleep")}


@pytest.fixture
def clock() -> Iterator[dict[str, Any]]:
    namespace: dict[str, Any] = {"__name__": "clock_program"}
    exec(program("clock"), namespace)
    yield namespace
    for name, function in REAL.items():  # whatever a failing test left behind
        setattr(time, name, function)


def _install(namespace: dict[str, Any]) -> Callable[[], None]:
    restore: Callable[[], None] = namespace["__nb2prod_steady_clock__"]()
    return restore


def _timed(work: Callable[[], object]) -> tuple[int, float]:
    start_ns, start = time.perf_counter_ns(), time.time()
    work()
    return time.perf_counter_ns() - start_ns, time.time() - start


def test_work_of_any_length_reads_the_same_duration(clock: dict[str, Any]) -> None:
    restore = _install(clock)
    try:
        short = _timed(lambda: None)
        long = _timed(lambda: sum(range(2_000_000)))
    finally:
        restore()
    per_second = clock["__nb2prod_clock_ticks__"]
    # each pair of readings has one reading of the other clock between: 2 ticks each, exactly
    assert short == long == (2 * 10**9 // per_second, 2 / per_second)


def test_every_reading_is_exact_wherever_the_run_is(clock: dict[str, Any]) -> None:
    durations = []
    for pause in (0.0, 0.02):
        REAL["sleep"](pause)  # another real start; the readings must not show it
        restore = _install(clock)
        try:
            readings = [time.time() for _ in range(2_000)]
        finally:
            restore()
        durations.append([b - a for a, b in itertools.pairwise(readings)])
    assert durations[0] == durations[1] == [1 / clock["__nb2prod_clock_ticks__"]] * 1_999


def test_sleeping_moves_the_clock_by_the_time_slept(clock: dict[str, Any]) -> None:
    restore = _install(clock)
    try:
        before = time.time()
        real_before = REAL["time"]()
        time.sleep(0.05)
        moved = time.time() - before
        really = REAL["time"]() - real_before
    finally:
        restore()
    assert moved == round(0.05 * 1024) / 1024 + 1 / 1024
    assert really >= 0.045  # it still sleeps (the wall clock may read a hair under 0.05)


def test_other_threads_read_the_real_clock(clock: dict[str, Any]) -> None:
    restore = _install(clock)
    seen: list[float] = []

    def elsewhere() -> None:
        start = time.monotonic()
        first = time.time()
        while time.monotonic() - start < 0.03:
            pass
        seen.append(time.time() - first)

    try:
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    finally:
        restore()
    # The wall clock and the monotonic clock differ by float rounding (CI saw 0.029999); the
    # steady clock would have moved by two ticks (2/1024 s), far below this.
    assert seen and seen[0] >= 0.02


def test_restoring_and_reinstalling_leave_the_real_clock(clock: dict[str, Any]) -> None:
    first = _install(clock)
    assert time.time is not REAL["time"]
    once = time.perf_counter_ns()
    second = _install(clock)  # restarts: the first is restored before
    assert time.perf_counter_ns() - once < 10**9  # started again from the real counter
    second()
    assert all(getattr(time, name) is function for name, function in REAL.items())
    first()  # restoring twice is harmless
    assert all(getattr(time, name) is function for name, function in REAL.items())


def test_the_kernel_programs_install_it_with_the_seeds() -> None:
    from nb2prod.verify import capture, edge_fixtures, fixtures, predict_path

    for joined in (
        capture.KERNEL_PRELUDE,
        capture.PACKAGE_RUN,
        edge_fixtures.EDGE_PROGRAM,
        fixtures.FIXTURE_PROGRAM,
        predict_path.PREDICT_PROGRAM,
    ):
        assert joined.index("clock") < joined.index("seed"), joined
    namespace: dict[str, Any] = {"__name__": "seeded"}
    exec(program("clock", "seed"), namespace)
    try:
        namespace["__nb2prod_seed__"]()
        duration = _timed(lambda: sum(range(500_000)))[1]
        assert duration == 2 / namespace["__nb2prod_clock_ticks__"]
    finally:
        for name, function in REAL.items():
            setattr(time, name, function)
    assert not [n for n in namespace if not n.startswith("__")], "names a notebook could see"


def test_timeit_keeps_the_real_clock(clock: dict[str, Any]) -> None:
    import timeit

    restore = _install(clock)
    try:
        # autorange stops once 0.2 s have passed: on a steady clock it would never stop
        number, taken = timeit.Timer("sum(range(1000))").autorange()
    finally:
        restore()
    assert taken >= 0.2 and number > 0
