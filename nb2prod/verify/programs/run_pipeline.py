# Last in the package run, after parent_death, capture_hooks and seed: run the generated
# pipeline with every generated function wrapped so that its returned values are captured.
#
#     python -c <program> <package> <JSON {function: [returned names]}>
import importlib
import json
import sys
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


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
