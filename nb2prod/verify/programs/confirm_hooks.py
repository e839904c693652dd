# What `nb2prod check --confirm` injects into the notebook's kernel (nb2prod.verify.confirm).
#
# Runs first, before any code of the notebook; the calls come as injected cells. The plan is
# data: $NB2PROD_CONFIRM_DIR/plan.json holds {"twice": {cell: {"source", "names"}}, "keep":
# {cell: [names]}, "timeout": seconds or null}; results are pickles in that folder, read back
# by nb2prod.verify.confirm:
#
#   twice-<cell>.pkl  {"first": {name: bytes | why}, "second": {...}, "raised": str | None,
#                      "problem": str | None}: the cell's names after its run and after a
#                      second run of its source, made in a forked copy of the kernel so the
#                      rest of the notebook runs on the state one run left
#   keep-<cell>.pkl   {"values": {name: bytes | why}, "rng": {generator: [before, after]}}: the
#                     names an NB109 cell binds, right after it, and a digest of each global
#                     random generator's state before and after the cell
#   end-<cell>.pkl    {name: bytes | why}: the kept names at the end of the run, when still
#                     bound to the same object
#
# Shares the notebook's namespace: every name starts with __nb2prod, and nothing here raises
# into the notebook (a failure is written as a "problem" instead).
import typing as __nb2prod_typing

if __nb2prod_typing.TYPE_CHECKING:
    from collections.abc import Iterable

# cell -> (random-generator states before its run, when its run started)
__nb2prod_confirm_before_state__: "dict[int, tuple[dict[str, __nb2prod_typing.Any], float]]" = {}
# NB109 cell -> {name: id of the object bound right after the cell}
__nb2prod_confirm_kept_ids__: "dict[int, dict[str, int]]" = {}


def __nb2prod_confirm_plan__() -> "dict[str, __nb2prod_typing.Any]":
    import json
    import os

    folder = os.environ.get("NB2PROD_CONFIRM_DIR", "")
    with open(os.path.join(folder, "plan.json"), encoding="utf-8") as handle:
        plan: dict[str, __nb2prod_typing.Any] = json.load(handle)
    return plan


def __nb2prod_confirm_write__(name: str, data: object) -> None:
    """Write a result atomically: a half-written file must never be read as a result."""
    import os
    import pickle

    folder = os.environ.get("NB2PROD_CONFIRM_DIR", "")
    partial = os.path.join(folder, f".{name}.{os.getpid()}.part")
    with open(partial, "wb") as handle:
        pickle.dump(data, handle)
    os.replace(partial, os.path.join(folder, name))


def __nb2prod_confirm_namespace__() -> "dict[str, object]":
    """The notebook's namespace (the shell's user_ns; __main__'s outside a kernel)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    namespace: dict[str, object] = (
        shell.user_ns if shell is not None else sys.modules["__main__"].__dict__
    )
    return namespace


def __nb2prod_confirm_values__(names: "Iterable[str]") -> "dict[str, object]":
    """Each name's value pickled on its own (a bad value spoils only itself), or why not."""
    import pickle

    namespace = __nb2prod_confirm_namespace__()
    stored: dict[str, object] = {}
    for name in names:
        if name not in namespace:
            stored[name] = "not bound"
            continue
        try:
            stored[name] = pickle.dumps(namespace[name])
        except Exception as exc:
            stored[name] = f"could not be pickled ({type(exc).__name__}: {str(exc)[:200]})"
    return stored


def __nb2prod_confirm_rng_states__() -> "dict[str, __nb2prod_typing.Any]":
    """The global random generators' states: a second run draws what the first drew."""
    import random
    import sys

    states: dict[str, __nb2prod_typing.Any] = {"random": random.getstate()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states["numpy"] = numpy.random.get_state()
    torch = sys.modules.get("torch")
    if torch is not None:
        states["torch"] = torch.random.get_rng_state()
    return states


def __nb2prod_confirm_set_rng__(states: "dict[str, __nb2prod_typing.Any]") -> None:
    import random
    import sys

    for key, state in states.items():
        module = sys.modules.get(key)
        if key == "random":
            random.setstate(state)
        elif key == "numpy" and module is not None:
            module.random.set_state(state)
        elif key == "torch" and module is not None:
            module.random.set_rng_state(state)


def __nb2prod_confirm_rng_digests__(states: "dict[str, __nb2prod_typing.Any]") -> "dict[str, str]":
    """A digest of each generator's state: equal digests, equal states."""
    import hashlib
    import pickle

    digests = {}
    for key, state in states.items():
        try:
            digests[key] = hashlib.sha256(pickle.dumps(state)).hexdigest()
        except Exception:
            continue
    return digests


def __nb2prod_confirm_before__(cell: int) -> None:
    """Before an NB106 or NB109 cell runs: keep the random generators' states and the time."""
    import time

    try:
        __nb2prod_confirm_before_state__[cell] = (
            __nb2prod_confirm_rng_states__(),
            time.monotonic(),
        )
    except Exception:
        __nb2prod_confirm_before_state__[cell] = ({}, time.monotonic())


def __nb2prod_confirm_quiet_child__() -> None:
    """In the forked copy: nothing may reach the notebook's outputs or the kernel's sockets."""
    import contextlib
    import io
    import os
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = io.StringIO()
    sys.stderr = io.StringIO()
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return

    class Quiet:
        def publish(self, *args: object, **kwargs: object) -> None:
            pass

        def clear_output(self, *args: object, **kwargs: object) -> None:
            pass

    with contextlib.suppress(Exception):
        shell.display_pub = Quiet()
    with contextlib.suppress(Exception):
        # comms, streams and displays all leave through the session: the sockets are the
        # parent's, and a forked copy must not write to them
        shell.kernel.session.send = Quiet().publish


def __nb2prod_confirm_rerun__(cell: int, source: str, names: "list[str]") -> object:
    """In the forked copy: the names now, run the cell's source again, the names again."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    first = __nb2prod_confirm_values__(names)
    code = shell.transform_cell(source) if shell is not None else source
    try:
        compiled = compile(code, f"<cell {cell}, run again>", "exec")
    except SyntaxError as exc:  # top-level await, or a magic the kernel alone understands
        return {"problem": f"the cell cannot be run again here ({exc.msg})"}
    states = __nb2prod_confirm_before_state__.get(cell, ({}, 0.0))[0]
    __nb2prod_confirm_set_rng__(states)
    raised = None
    try:
        exec(compiled, __nb2prod_confirm_namespace__())
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the copy must report
        raised = f"{type(exc).__name__}: {str(exc)[:300]}"
    second = __nb2prod_confirm_values__(names)
    return {"first": first, "second": second, "raised": raised, "problem": None}


def __nb2prod_confirm_twice__(cell: int) -> None:
    """After an NB106 cell: run it again in a forked copy of the kernel and keep both states."""
    import contextlib
    import os
    import signal
    import sys
    import time
    import warnings

    result = f"twice-{cell}.pkl"
    try:
        plan = __nb2prod_confirm_plan__()
        entry = plan["twice"][str(cell)]
        before = __nb2prod_confirm_before_state__.get(cell, ({}, time.monotonic()))[1]
        first_run = time.monotonic() - before
        # the second run may take a few times the first, never the whole cell timeout (the
        # injected cell itself must finish within it)
        limit = 3 * first_run + 20
        if plan.get("timeout"):
            limit = min(limit, 0.8 * float(plan["timeout"]))
        if not hasattr(os, "fork"):
            __nb2prod_confirm_write__(result, {"problem": "no fork() on this system"})
            return
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # "multi-threaded, fork()"
            pid = os.fork()
        if pid == 0:
            try:
                __nb2prod_confirm_quiet_child__()
                data = __nb2prod_confirm_rerun__(cell, entry["source"], list(entry["names"]))
                __nb2prod_confirm_write__(result, data)
            finally:
                os._exit(0)
        deadline = time.monotonic() + limit
        pause = 0.001
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                __nb2prod_confirm_write__(
                    result, {"problem": f"the second run did not finish within {limit:.0f} s"}
                )
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        folder = os.environ.get("NB2PROD_CONFIRM_DIR", "")
        if not os.path.exists(os.path.join(folder, result)):
            how = (
                f"killed by signal {-os.waitstatus_to_exitcode(status)}"
                if os.WIFSIGNALED(status)
                else "ended without a result"
            )
            __nb2prod_confirm_write__(result, {"problem": f"the second run's process {how}"})
    except Exception as exc:
        with contextlib.suppress(Exception):
            __nb2prod_confirm_write__(
                result, {"problem": f"could not run the cell again: {type(exc).__name__}: {exc}"}
            )


def __nb2prod_confirm_keep__(cell: int) -> None:
    """After an NB109 cell: the values of the names it binds, and which objects they are."""
    try:
        names = list(__nb2prod_confirm_plan__()["keep"][str(cell)])
        namespace = __nb2prod_confirm_namespace__()
        __nb2prod_confirm_kept_ids__[cell] = {n: id(namespace[n]) for n in names if n in namespace}
        before = __nb2prod_confirm_rng_digests__(
            __nb2prod_confirm_before_state__.get(cell, ({}, 0.0))[0]
        )
        after = __nb2prod_confirm_rng_digests__(__nb2prod_confirm_rng_states__())
        rng = {key: [before[key], after[key]] for key in before.keys() & after.keys()}
        values = __nb2prod_confirm_values__(names)
        __nb2prod_confirm_write__(f"keep-{cell}.pkl", {"values": values, "rng": rng})
    except Exception:
        pass


def __nb2prod_confirm_end__() -> None:
    """After the last cell: the kept names again, where still bound to the same object (a model
    fitted in a later cell shows its randomness only there)."""
    try:
        namespace = __nb2prod_confirm_namespace__()
        for cell, ids in __nb2prod_confirm_kept_ids__.items():
            same = [n for n, i in ids.items() if n in namespace and id(namespace[n]) == i]
            __nb2prod_confirm_write__(f"end-{cell}.pkl", __nb2prod_confirm_values__(same))
    except Exception:
        pass
