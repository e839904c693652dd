"""Check the rendered package before anything is written, as black checks its own output.

Every file parses; every kept statement of the notebook appears exactly once in the
generated modules (compared as ASTs, so black's formatting does not matter); rendering
the same plan twice gives the same bytes. A failure is our bug: the details go to a file.

One tolerance, black's own (its `assert_equivalent`): a string standing as a statement (a
docstring) is compared with each line stripped and blank outer lines dropped, because black
re-indents docstrings to their new depth and strips the whitespace before the closing quotes.
"""

from __future__ import annotations

import ast
import copy
import tempfile
from collections import Counter
from collections.abc import Callable

from nb2prod.convert.plan import Plan
from nb2prod.convert.render import Package
from nb2prod.core.errors import InternalError


def _standalone_strings(node: ast.AST) -> list[ast.Constant]:
    return [
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Expr)
        and isinstance(n.value, ast.Constant)
        and isinstance(n.value.value, str)
    ]


def _dump(node: ast.AST) -> str:
    """The statement's AST as text, its docstrings normalised as black's AST check does."""
    if _standalone_strings(node):
        node = copy.deepcopy(node)  # the plan's trees are shared: normalise a copy
        for string in _standalone_strings(node):
            lines = (line.strip() for line in str(string.value).splitlines())
            string.value = "\n".join(lines).strip()
    return ast.dump(node, annotate_fields=False)


def _generated_statements(package: Package, plan: Plan) -> Counter[str]:
    """Module-level statements and the top-level body statements of generated functions."""
    generated_names = {f.name for f in plan.functions}
    found: Counter[str] = Counter()
    for module in plan.modules:
        tree = ast.parse(package.files[f"src/{plan.package}/{module}.py"])
        for node in tree.body:
            found[_dump(node)] += 1
            if isinstance(node, ast.FunctionDef) and node.name in generated_names:
                for inner in node.body:
                    found[_dump(inner)] += 1
    return found


def check_package(plan: Plan, package: Package, render: Callable[[Plan], Package]) -> None:
    """Raise `InternalError` (details written to a file) when the package is not faithful."""
    problems: list[str] = []
    for path, text in package.files.items():
        if path.endswith(".py"):
            try:
                ast.parse(text)
            except SyntaxError as exc:
                problems.append(f"{path} does not parse: {exc.msg} at line {exc.lineno}\n{text}")
    if not problems:
        expected: Counter[str] = Counter()
        where: dict[str, str] = {}
        kept = [s for f in plan.functions for s in f.statements] + [
            d.statement for d in plan.definitions
        ]
        for statement in kept:
            for node in statement.tree.body:
                key = _dump(node)
                expected[key] += 1
                where.setdefault(
                    key, f"cell {statement.cell}: {statement.code.strip().splitlines()[0]}"
                )
        generated = _generated_statements(package, plan)
        for key, count in expected.items():
            if generated[key] != count:
                problems.append(
                    f"statement from {where[key]} appears {generated[key]} time(s) in the "
                    f"generated code, expected {count}"
                )
    again = render(plan)
    if again.files != package.files:
        changed = sorted(
            p
            for p in set(again.files) | set(package.files)
            if again.files.get(p) != package.files.get(p)
        )
        problems.append(f"rendering twice gave different files: {', '.join(changed)}")
    if problems:
        with tempfile.NamedTemporaryFile(
            "w", prefix="nb2prod-internal-", suffix=".txt", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(f"notebook: {plan.notebook_path}\n\n" + "\n\n".join(problems) + "\n")
        raise InternalError(
            f"the generated package failed its static check ({problems[0].splitlines()[0]})",
            handle.name,
        )
