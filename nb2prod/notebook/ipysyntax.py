"""IPython syntax (magics, shell escapes, help) translated by IPython's own transformer.

Only cells that may hold IPython syntax are translated: running the transformer
on every cell costs ~3.5x the whole check (measured on ../shared/corpora/wild),
while a regular-expression pre-filter costs nothing. False positives of the
filter are harmless (the transformer leaves plain Python unchanged). Whole-line magics,
nearly all there are, take a fast path that gives exactly the transformer's result, checked
against it on every cell of ../shared/corpora: IPython is imported for 0 of the 423 wild
notebooks (`_simple_static`).

Automagic (`pip install x`, `cd ..` with no `%`) is IPython's prefilter, not its transformer:
it is mirrored here from the magic registry in `nb2prod/data/ipython_magics.json` (generated
by `scripts/gen_ipython_magics.py`), without importing IPython. On the 15,539 code cells of
../shared/corpora/{wild,parsing,offline}, `translate(cell, bound=set())` and IPython's
`InteractiveShell.transform_cell` parse alike and make the same magic calls.

The facts about magics that data flow and conversion both read are declared here, once.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import keyword
import re
import textwrap
import tokenize
import warnings
from collections.abc import Container, Iterator, Mapping
from functools import lru_cache
from itertools import dropwhile
from typing import TYPE_CHECKING, Any

from nb2prod.data import read_text

if TYPE_CHECKING:
    from IPython.core.inputtransformer2 import TransformerManager

# Line magics whose argument is Python code run in the user namespace.
CODE_LINE_MAGICS = frozenset({"time", "timeit", "prun", "debug"})
# Cell magics whose body is Python code run in the user namespace.
CODE_CELL_MAGICS = CODE_LINE_MAGICS | {"capture"}
# Of those, the magics that only time or profile their code: converted, just the code stays.
TIMING_MAGICS = frozenset({"time", "timeit", "prun"})
# Help (`obj?`, `obj??`, `%psource obj`): reads the expression it is given, shows its documentation.
HELP_MAGICS = frozenset({"pinfo", "pinfo2", "psource", "pdef", "pdoc"})
# Magics that bring in names nb2prod cannot see.
HIDDEN_ORIGIN_MAGICS = frozenset({"run", "load", "loadpy", "pylab"})
# What `!cmd` and `x = !cmd` become: `get_ipython().system(...)`, `get_ipython().getoutput(...)`.
SHELL_METHODS = frozenset({"system", "getoutput"})
# Options of %time, %timeit and %prun that take a value, possibly in a separate word.
_VALUE_OPTIONS = frozenset({"-n", "-r", "-p", "-T", "-D", "-s", "-l"})

# A line starting with %, ! or ? ; a line ending in ? ; `x = !cmd` / `x = %magic`: what
# `_maybe_ipython` finds, in steps that cost ~1/7 of this one expression.
_MAYBE_IPYTHON = re.compile(r"^[ \t]*[%!?]|\?[ \t]*$|=[ \t]*[%!][^=]", re.M)
_ESCAPE_START = re.compile(r"\n[ \t]*[%!?]")  # after the first line
_HELP_END = re.compile(r"\?[ \t]*$", re.M)
_MAGIC_ASSIGN = re.compile(r"=[ \t]*[%!][^=]")
# IPython's autocall escapes at the start of a line (`/f x` is `f(x)`, `,f a b` is
# `f("a", "b")`, a lone `;` is `("")`). A logical line of Python never starts with one, but a
# continuation line inside brackets often does: these cells are translated only when they do
# not parse as Python, which is exactly when IPython's transformer would change them.
_MAYBE_AUTOCALL = re.compile(r"^[ \t]*[,;/]", re.M)
_AUTOCALL_START = re.compile(r"\n[ \t]*[,;/]")  # after the first line
# The word automagic looks up and the rest of the line: IPython's `LineInfo.ifun` and
# `the_rest` (`IPython.core.splitinput.line_split`) for a line without escape character.
_FIRST_WORD = re.compile(r"\s*([\w.*]*)")
_LINE_SPLIT = re.compile(r"\s*([\w.*]*)(.*)")


@lru_cache(maxsize=1)
def _registry() -> Mapping[str, Any]:
    text = read_text("ipython_magics.json")
    data: Mapping[str, Any] = json.loads(text)
    return data


@lru_cache(maxsize=1)
def automagic_names() -> frozenset[str]:
    """Line magics automagic may run: IPython's registry in a Jupyter kernel (shell aliases such
    as `ls` included), plus those of IPython's own extensions (`%load_ext autoreload`), minus the
    builtins and keywords that shadow a magic in every session (IPython's `is_shadowed`)."""
    data = _registry()
    names = set(data["line"])
    for added in data["extensions"].values():
        names.update(added["line"])
    return frozenset(n for n in names if n not in dir(builtins) and not keyword.iskeyword(n))


def may_have_ipython_syntax(source: str) -> bool:
    return _maybe_ipython(source) or _maybe_autocall(source) or automagic(source) is not None


def _maybe_ipython(source: str) -> bool:
    """Whether `_MAYBE_IPYTHON` matches `source`."""
    magic = "%" in source or "!" in source
    help_ = "?" in source
    if not (magic or help_):
        return False
    return (
        source.lstrip(" \t")[:1] in ("%", "!", "?")
        or _ESCAPE_START.search(source) is not None
        or (help_ and _HELP_END.search(source) is not None)
        or (magic and _MAGIC_ASSIGN.search(source) is not None)
    )


def _maybe_autocall(source: str) -> bool:
    """Whether `_MAYBE_AUTOCALL` matches `source`."""
    return source.lstrip(" \t")[:1] in (",", ";", "/") or (
        ("," in source or ";" in source or "/" in source)
        and _AUTOCALL_START.search(source) is not None
    )


@lru_cache(maxsize=1)
def _transformer() -> TransformerManager:
    # lazy: IPython costs `nb2prod check` ~0.1 s to import, and most cells hold no IPython syntax
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _static(source: str) -> tuple[str, ast.Module | None]:
    """IPython's static transformation (`%magic`, `!cmd`, `obj?`, autocall escapes), and the
    tree of the result where making it parsed it."""
    if not _maybe_ipython(source):
        if not _maybe_autocall(source):
            return source, None
        try:  # a line starting with `,;/` is no autocall where it continues a line of Python
            with warnings.catch_warnings():  # `"\d"`: the caller's parse warns, if it wants
                warnings.simplefilter("ignore")
                return source, ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    fast = _simple_static(source)
    if fast is not None:
        return fast
    try:
        return str(_transformer().transform_cell(source)), None
    except Exception:  # the transformer can choke on broken input; the parser reports it
        return source, None


# The fast path below: IPython's transformer re-tokenises the whole cell once per magic it
# rewrites (~1 ms a cell), and importing it costs ~0.06 s, a third of a one-notebook check.
# Characters `str.splitlines` breaks lines at but the parser does not, and `\r`.
_ODD_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Lines IPython's prompt strippers may rewrite (`>>> `, `... `, `In [3]: `, `...: `): a superset.
_PROMPT = re.compile(r"^\s*(?:>>>|\.\.\.)|^(?:(?:\[nav\]|\[ins\])?\ )?In\ \[\d+\]:\ ", re.M)
# `%magic args`, `!cmd`, `!!cmd`, `;f a b` starting a line; `x = %magic args`, `a, b = !cmd`.
_ESCAPED = re.compile(r"([ \t]*)(?:%[^=]|!(?!=)|;)")
# `obj?`, `np.sort??`, `%timeit?` alone on a line: IPython's `HelpEnd`, whose pattern this is.
_HELP = re.compile(r"([ \t]*)(%{0,2}(?!\d)[\w*]+(?:\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)\n")
_ASSIGNED = re.compile(
    r"[ \t]*[A-Za-z_]\w*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*[ \t]*=[ \t]*(?:%[A-Za-z_]|!)"
)


def _simple_static(source: str) -> tuple[str, ast.Module | None] | None:
    """IPython's `transform_cell(source)` for cells whose IPython syntax is only whole-line
    magics (`%time f()`, `!pip install x`, `x = !ls`, a `%%magic` cell), with its tree when it
    was parsed; None when IPython's own transformer has to decide.

    IPython rewrites `%`/`!` only where a logical line starts (its tokens decide). The rewrite
    is kept only when the result parses with a statement starting exactly at each rewritten
    line: then each was a logical line's start (the lines above are the same text), and every
    other line, valid Python, holds no IPython syntax. A result that does not parse (Python 2)
    is kept when IPython's own tests on its tokens find the same (`_untouched`).
    tests/unit/test_fast_magics.py compares the two on every cell of ../shared/corpora.
    """
    if _ODD_BREAKS.search(source) is not None or _PROMPT.search(source) is not None:
        return None
    # IPython's clean-up: a final newline, leading blank lines dropped, common indent removed
    cell = source if source.endswith("\n") else source + "\n"
    lines = cell.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line and not line.isspace():
            lines = lines[i:]
            break
    lines = textwrap.dedent("".join(lines)).splitlines(keepends=True)
    if lines and lines[0].startswith("%%"):  # IPython's `cell_magic`, verbatim
        if re.match(r"%%\w+\?", lines[0]):
            return None
        name, _, first_line = lines[0][2:].rstrip().partition(" ")
        body = "".join(lines[1:])
        return f"get_ipython().run_cell_magic({name!r}, {first_line!r}, {body!r})\n", None
    out: list[str] = []  # the lines of the result
    made: dict[int, tuple[int, type[ast.stmt]]] = {}  # its line -> (column, statement) rewritten
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        helped = _HELP.fullmatch(line)
        if helped is not None:  # before `%magic`: IPython gives help the priority
            indent, target, marks = helped.groups()
            method = "pinfo2" if marks == "??" else "psearch" if "*" in target else "pinfo"
            out.append(f"{indent}get_ipython().run_line_magic({method!r}, {target!r})\n")
            made[len(out)] = (len(indent), ast.Expr)
            continue
        escaped = _ESCAPED.match(line)
        assigned = None if escaped is not None else _ASSIGNED.match(line)
        if escaped is None and assigned is None:
            out.append(line)
            continue
        # IPython's `find_end_of_continued_line`: the magic runs on over lines ending in `\`
        first = index - 1
        while lines[index - 1].endswith("\\\n"):
            if index == len(lines):
                return None
            index += 1
        if not _one_logical_line("".join(lines[first:index])):
            # not IPython syntax if it runs on inside brackets (`%` of a format on a line of
            # its own); if it is, the result does not parse and IPython decides
            out.append(line)
            index = first + 1
            continue
        if escaped is not None:
            indent = escaped.group(1)
            rest = _joined(lines[first][len(indent) :], lines[first + 1 : index])
            escape = rest[:2] if rest.startswith("!!") else rest[:1]
            content = rest[len(escape) :]
            if escape == "%":
                name, _, args = content.partition(" ")
                call = f"get_ipython().run_line_magic({name!r}, {args!r})"
            elif escape == ";":  # autocall quoting its arguments (`;` alone: `("")`)
                name, _, args = content.partition(" ")
                call = f'{name}("{args}")'
            else:
                method = "getoutput" if escape == "!!" else "system"
                call = f"get_ipython().{method}({content!r})"
            out.append(indent + call + "\n")
            made[len(out)] = (len(indent), ast.Expr)
        else:
            assert assigned is not None
            start = assigned.end() - (1 if line[assigned.end() - 1] == "!" else 2)
            lhs = line[:start]
            rest = _joined(line[start:], lines[first + 1 : index])
            if rest[0] == "%":
                name, _, args = rest[1:].partition(" ")
                call = f"get_ipython().run_line_magic({name!r}, {args!r})"
            else:
                call = f"get_ipython().getoutput({rest[1:]!r})"
            out.append(lhs + call + "\n")
            made[len(out)] = (len(lhs) - len(lhs.lstrip(" \t")), ast.Assign)
    if len(made) >= _TRANSFORM_LIMIT:
        return None
    code = "".join(out)
    try:
        with warnings.catch_warnings():  # `"\d"` in a cell: the caller's parse warns, if it wants
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # Python 2 code and the like: IPython's own test, on its tokens, that it would find
        # nothing more to rewrite, and that each rewritten line starts a logical line
        if _untouched(code, {(number, column) for number, (column, _) in made.items()}):
            return code, None
        return None
    starts = {
        (node.lineno, node.col_offset, type(node))
        for node in _statements(tree.body)
        if node.lineno in made
    }
    if any((number, column, kind) not in starts for number, (column, kind) in made.items()):
        return None
    return code, tree


# IPython's transformer gives up (and `_static` keeps the cell as it is) at this many rewrites.
_TRANSFORM_LIMIT = 500
# The characters that start IPython's escaped lines (its ESCAPE_SINGLES).
_LINE_ESCAPES = frozenset({"!", "?", "%", ",", ";", "/"})
_OPENING, _CLOSING = frozenset("([{"), frozenset(")]}")


def _untouched(code: str, starts: set[tuple[int, int]]) -> bool:
    """Whether IPython's transformer, given `code`, finds nothing to rewrite, and each of
    `starts` (line, column) begins one of its logical lines.

    The logical lines are those of IPython's `make_tokens_by_line`; nothing is found where no
    logical line starts with an escape (`EscapedCommand`), ends in `?` (`HelpEnd`) or has `%`
    or an error token right after its first `=` (`MagicAssign`, `SystemAssign`): the tests of
    `IPython.core.inputtransformer2`, each widened to be safe.
    """
    groups: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            groups[-1].append(token)
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                groups.append([])
            elif token.type == tokenize.OP and token.string in _OPENING:
                depth += 1
            elif token.type == tokenize.OP and token.string in _CLOSING and depth > 0:
                depth -= 1
    except tokenize.TokenError:
        # a string or brackets run on to the end: IPython reads no further either (on Python
        # 3.12+ it adds an empty error token, after which a `?` would end the logical line)
        if groups[-1] and groups[-1][-1].string == "?":
            return False
    except SyntaxError:  # an unindent that matches no block: IPython fails, the cell stays
        return False
    begins = set()
    for group in groups:
        words = [t for t in group if t.type not in (tokenize.INDENT, tokenize.DEDENT)]
        if not words:
            continue
        if words[0].string in _LINE_ESCAPES or (len(group) > 2 and group[-2].string == "?"):
            return False
        begins.add(words[0].start)
        depth = 0
        for at, token in enumerate(group[:-1]):
            if token.string == "=" and depth == 0:
                after = group[at + 1]
                # `!` is an error token before Python 3.12, an operator from then on
                if after.string in ("%", "!") or after.type == tokenize.ERRORTOKEN:
                    return False
                break
            if token.string in _OPENING:
                depth += 1
            elif token.string in _CLOSING and depth > 0:
                depth -= 1
    return starts <= begins


def _joined(first: str, more: list[str]) -> str:
    """A magic's text from its first line (from the escape on) and the lines it runs on over
    with a final `\\`, as IPython's `assemble_continued_line` joins them."""
    parts = [first, *more]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement in `body` and in the blocks of its statements, at any depth."""
    stack = [body]
    while stack:
        for node in stack.pop():
            yield node
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if type(block) is list:
                    stack.append(block)
            for name in ("handlers", "cases"):  # except clauses, match cases
                stack.extend(part.body for part in getattr(node, name, ()))


def _one_logical_line(line: str) -> bool:
    """Whether the magic line `line` tokenizes as one logical line that does not end in `?`
    (IPython's help syntax, which takes precedence): as IPython's tokens see it when the line
    starts a logical line."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.lstrip(" \t")).readline))
    except (tokenize.TokenError, SyntaxError):  # an open bracket or string runs on
        return False
    ends = [i for i, t in enumerate(tokens) if t.type == tokenize.NEWLINE]
    return (
        len(ends) == 1
        and ends[0] >= 1
        and tokens[ends[0] - 1].string != "?"
        and all(t.type in (tokenize.ENDMARKER, tokenize.DEDENT) for t in tokens[ends[0] + 1 :])
    )


def _only_line(code: str) -> str | None:
    """The one line of a one-line cell, as IPython's cleanup leaves it (leading blank lines and
    indentation removed), or None: IPython tries automagic only on single-line cells."""
    if not code.endswith("\n"):
        code += "\n"
    lines = [*dropwhile(lambda line: not line or line.isspace(), code.splitlines(keepends=True))]
    if len(lines) != 1:
        return None
    return textwrap.dedent(lines[0]).rstrip("\n")


def automagic(code: str, bound: Container[str] | None = None) -> tuple[str, str] | None:
    """The line magic and its arguments IPython runs for this cell without its `%`, or None.

    Mirrors IPython's prefilter: a single-line cell (`InteractiveShell.transform_cell`) whose
    first word names a line magic (`AutoMagicChecker`), unless an `=` or `,` follows it
    (`AssignmentChecker`: `pwd = 3` is Python) or a variable shadows it (`is_shadowed`).
    `bound`: the names the notebook has bound by then; None when unknown, and then a line that
    parses as Python (`pwd`, `history`) is taken for Python: only the names decide that.
    `cd(x)` and `pwd + 1` are magics in IPython too, when nothing shadows `cd` or `pwd`.
    """
    match = _FIRST_WORD.match(code)
    if match is None or match.group(1) not in automagic_names():
        return None
    line = _only_line(code)
    if line is None:
        return None
    match = _LINE_SPLIT.match(line)
    if match is None:
        return None
    name, rest = match.group(1), match.group(2).lstrip()
    if rest[:1] in ("=", ","):
        return None
    if bound is None:
        if _parses(line):
            return None
    elif name in bound:
        return None
    return name, rest


def translate(source: str, bound: Container[str] | None = None) -> str:
    """Return the cell as plain Python, magics turned into `get_ipython()` calls.

    `bound`: the names the notebook binds before this cell, which shadow automagic (see
    `automagic`); None when the caller does not know them.
    """
    return translate_parsed(source, bound)[0]


def translate_parsed(
    source: str, bound: Container[str] | None = None
) -> tuple[str, ast.Module | None]:
    """`translate(source, bound)`, and its `ast.parse` when translating had to parse it (a
    cell with magics, for the most part): the caller need not parse the code a second time."""
    code, tree = _static(source)
    magic = automagic(code, bound)
    if magic is None:
        return code, tree
    return f"get_ipython().run_line_magic({magic[0]!r}, {magic[1]!r})\n", None


def automagic_hint(source: str, line: int) -> str | None:
    """Why `line` of a cell that does not parse may be a magic written without `%`: IPython
    runs `pip install x` as `%pip install x` only when it is the cell's only line."""
    lines = source.splitlines()
    if not 0 < line <= len(lines):
        return None
    match = _LINE_SPLIT.match(lines[line - 1])
    if match is None or match.group(1) not in automagic_names():
        return None
    if match.group(2).lstrip()[:1] in ("=", ","):
        return None
    name = match.group(1)
    return f"IPython runs `{name} ...` as `%{name}` only alone in a cell: write `%{name}`"


def magic_call(stmt: ast.stmt) -> tuple[str, list[str]] | None:
    """The method and string arguments of a translated magic: `get_ipython().run_line_magic('time', 'f()')`."""
    call = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return None
    owner = call.func.value
    if not (
        isinstance(owner, ast.Call)
        and isinstance(owner.func, ast.Name)
        and owner.func.id == "get_ipython"
    ):
        return None
    texts = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return call.func.attr, texts


def strip_options(args: str) -> str:
    """Drop `-n 10 -r 3 -q -o` style options before a magic's Python statement."""
    words = args.split(" ")
    while words and words[0].startswith("-") and len(words[0]) > 1:
        option = words.pop(0)
        if option in _VALUE_OPTIONS and words and words[0] and not words[0].startswith("-"):
            words.pop(0)
    return " ".join(words).strip()
