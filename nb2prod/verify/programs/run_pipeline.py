# Last in the package run, after parent_death, capture_hooks and seed: run the generated
# pipeline with every generated function wrapped so that its returned values are captured.
#
#     python -c <program> <package> <JSON {function: [returned names]}>
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nb2prod.verify.programs.capture_hooks import __nb2prod_capture__, __nb2prod_modules__


def _constant(value: object) -> Callable[[], object]:
    return lambda: value


def _wrap(name: str, original: Callable[..., Any], returns: list[str]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        values = value if len(returns) > 1 else (value,)
        __nb2prod_capture__(name, {n: _constant(v) for n, v in zip(returns, values, strict=False)})
        return value

    return wrapper


def main(package: str, functions: dict[str, list[str]]) -> None:
    """Run `<package>.pipeline.run()` with capture, then list the modules it imported."""
    pipeline = importlib.import_module(package + ".pipeline")
    for name, returns in functions.items():
        setattr(pipeline, name, _wrap(name, getattr(pipeline, name), returns))
    pipeline.run()
    __nb2prod_modules__()


def _report_failure(package: str, exc: BaseException) -> None:
    """Leave the exception's type, message and innermost frame in the package for nb2prod.

    The end of stderr is not enough: a traceback can end in a caret line or a warning.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f"{os.sep}{package}{os.sep}" in f.filename]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    record = {
        "type": type(exc).__qualname__,
        "message": str(exc),
        "function": where.name if where else None,
        "file": os.path.basename(where.filename) if where else None,
        "line": where.lineno if where else None,
    }
    target = os.path.join(os.environ["NB2PROD_CAPTURE_DIR"], "failure.json")
    with open(target + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    os.replace(target + ".tmp", target)


if __name__ == "__main__":
    try:
        main(sys.argv[1], json.loads(sys.argv[2]))
    except BaseException as exc:  # reported, then raised again for the exit code and stderr
        if not isinstance(exc, SystemExit | KeyboardInterrupt):
            _report_failure(sys.argv[1], exc)
        raise
