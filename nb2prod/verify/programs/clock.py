# A clock that moves the same way in every run. Verify seeds the random generators so that a
# notebook draws the same numbers in each of its runs; this does the same for code that decides
# by timing (a search that refits the candidate fastest to score, a loop that stops after n
# seconds), which otherwise decides by the machine's load. One source for verify's runs (joined
# before seed, which installs it) and the generated package's tests (tests/_nb2prod_clock.py, a
# byte-for-byte copy, installed around each test).
#
# In the thread that installs it, each reading of time.time or time.perf_counter (and their
# _ns forms) moves the clock one tick, and time.sleep still sleeps and moves it by the time
# slept. Other threads (the kernel's own, a library's workers) keep the real clock, so their
# timeouts keep working. Only differences between readings are steady: the clock starts at the
# real time of day (its whole second). In a kernel this shares the notebook's namespace: every
# name starts with __nb2prod. Standard library only.
import typing as __nb2prod_clock_typing

if __nb2prod_clock_typing.TYPE_CHECKING:
    from collections.abc import Callable

# A reading moves the clock 1/1024 s: a power of two, and the clock starts at a whole second, so
# every reading is exact in floating point and equal durations are equal to the last bit (a
# search's tie between candidates as fast as each other breaks alike in every run).
__nb2prod_clock_ticks__ = 1024  # a second


def __nb2prod_steady_clock__() -> "Callable[[], None]":
    """Install the steady clock for this thread (again: restart it); returns what restores the real one."""
    import math
    import threading
    import time
    import timeit

    restore_previous = getattr(time.time, "__nb2prod_restore__", None)
    if callable(restore_previous):
        restore_previous()
    names = ("time", "time_ns", "perf_counter", "perf_counter_ns", "sleep")
    real = {name: getattr(time, name) for name in names}
    owner = threading.get_ident()
    wall_start, counter_start = math.floor(real["time"]()), math.floor(real["perf_counter"]())
    per_second = __nb2prod_clock_ticks__
    ticks = 0  # how far this thread's clock has moved since it was installed

    def tick() -> int:
        """Move the clock one tick for a reading in the owning thread; -1 for another thread."""
        nonlocal ticks
        if threading.get_ident() != owner:
            return -1
        ticks += 1
        return ticks

    def seconds(start: int, real_clock: "Callable[[], float]") -> "Callable[[], float]":
        def reading() -> float:
            moved = tick()
            return real_clock() if moved < 0 else start + moved / per_second

        return reading

    def nanoseconds(start: int, real_clock: "Callable[[], int]") -> "Callable[[], int]":
        def reading() -> int:
            moved = tick()
            return real_clock() if moved < 0 else (start * per_second + moved) * 10**9 // per_second

        return reading

    def sleep(duration: "float | __nb2prod_clock_typing.SupportsIndex") -> None:
        nonlocal ticks
        real["sleep"](duration)
        if threading.get_ident() == owner and float(duration) > 0:
            ticks += round(float(duration) * per_second)

    def restore() -> None:
        for name, function in real.items():
            setattr(time, name, function)

    wall = seconds(wall_start, real["time"])
    wall.__nb2prod_restore__ = restore  # type: ignore[attr-defined]
    time.time, time.time_ns = wall, nanoseconds(wall_start, real["time_ns"])
    time.perf_counter = seconds(counter_start, real["perf_counter"])
    time.perf_counter_ns = nanoseconds(counter_start, real["perf_counter_ns"])
    time.sleep = sleep
    # timeit keeps the real clock: its autorange (and %timeit's) runs the statement until 0.2 s
    # have passed, which a steady clock never reaches
    timeit.default_timer = real["perf_counter"]
    return restore
