"""The package's relative paths start from the project root, through `config.path` (issue #13).

A notebook in `notebooks/` reads `../data/raw/x.csv`; its package runs from the project root
(or with `--base-dir`), so that path becomes `config.path("data/raw/x.csv")`. Each case is a
cell of such a notebook and the code convert makes of it: rewritten where the rewrite is sound,
left as written (and nothing said) where it is not.
"""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path

import pytest

from nb2prod.convert.plan import Plan, make_plan
from nb2prod.convert.render import render
from nb2prod.notebook.load import load
from nb2prod.notebook.project_root import PathSite, path_names, path_sites, rebase
from tests.helpers import code, notebook, write

IMPORTS = "import os\nimport numpy as np\nimport pandas as pd\nfrom pathlib import Path"
STEM = 'stem = "x"'  # a config field the f-string and the concatenation read

# (case id, the cell, the code convert makes of it)
CASES = [
    (
        "relative read",
        'df = pd.read_csv("../data/raw/x.csv")',
        'df = pd.read_csv(config.path("data/raw/x.csv"))',
    ),
    (
        "relative write, other arguments kept",
        'df = pd.read_csv("../data/raw/x.csv")\ndf.to_csv("../data/out/y.csv", sep=";")',
        'df = pd.read_csv(config.path("data/raw/x.csv"))\n'
        'df.to_csv(config.path("data/out/y.csv"), sep=";")',
    ),
    (
        "open with a mode",
        'text = open("../data/raw/x.csv", "r").read()',
        'text = open(config.path("data/raw/x.csv"), "r").read()',
    ),
    (
        "a file beside the notebook, in a project",
        'df = pd.read_csv("local.csv")\nraw = pd.read_csv("../data/raw/x.csv")',
        'df = pd.read_csv(config.path("notebooks/local.csv"))\n'
        'raw = pd.read_csv(config.path("data/raw/x.csv"))',
    ),
    (
        "os.path.join: its leading literals",
        'df = pd.read_csv(os.path.join("..", "data", "raw", stem + ".csv"))',
        'df = pd.read_csv(os.path.join(config.path("data/raw"), stem + ".csv"))',
    ),
    (
        "pathlib: a chain of literals, folded",
        'df = pd.read_csv(Path("../data") / "raw" / "x.csv")',
        'df = pd.read_csv(Path(config.path("data/raw/x.csv")))',
    ),
    (
        "pathlib: the literal part of a chain",
        'df = pd.read_csv(Path("..") / "data" / "raw" / (stem + ".csv"))',
        'df = pd.read_csv(Path(config.path("data/raw")) / (stem + ".csv"))',
    ),
    (
        "f-string with a literal start",
        'df = pd.read_csv(f"../data/raw/{stem}.csv")',
        'df = pd.read_csv(config.path(f"data/raw/{stem}.csv"))',
    ),
    (
        "concatenation with a literal folder",
        'df = pd.read_csv("../data/raw/" + stem + ".csv")',
        'df = pd.read_csv(config.path("data/raw/") + stem + ".csv")',
    ),
    (
        "a name the file operation reads",
        'if stem:\n    where = "../data/raw/x.csv"\n    df = pd.read_csv(where)',
        'if stem:\n    where = config.path("data/raw/x.csv")\n    df = pd.read_csv(where)',
    ),
    # not sound, or not a path: left as written
    (
        "%-formatting",
        'df = pd.read_csv("../data/raw/%s.csv" % stem)',
        None,
    ),
    (
        "f-string starting with a value",
        'df = pd.read_csv(f"{stem}/../data/raw/x.csv")',
        None,
    ),
    (
        "f-string with an escape",
        'df = pd.read_csv(f"..\\\\data/raw/{stem}.csv")',
        None,
    ),
    ("URL", 'df = pd.read_csv("https://example.com/data/x.csv")', None),
    ("absolute path", 'df = pd.read_csv("/srv/data/x.csv")', None),
    (
        "numpy's writer adds the extension to a bare name",
        'df = pd.read_csv("../data/raw/x.csv")\nnp.save("arr", np.arange(3))\n'
        'back = np.load("arr.npy")',
        'df = pd.read_csv(config.path("data/raw/x.csv"))\n'
        'np.save(config.path("notebooks/arr"), np.arange(3))\n'
        'back = np.load(config.path("notebooks/arr.npy"))',
    ),
    ("home path", 'df = pd.read_csv("~/data/x.csv")', None),
    (
        "a hub name, not a file",
        'df = pd.read_csv("../data/raw/x.csv")\n'
        'model = AutoModel.from_pretrained("facebook/bart-large")',
        'df = pd.read_csv(config.path("data/raw/x.csv"))\n'
        'model = AutoModel.from_pretrained("facebook/bart-large")',
    ),
    (
        "str.join is not a path join",
        'df = pd.read_csv("../data/raw/x.csv")\n'
        'label = ", ".join(["../a.csv"]) + sep.join(["../b.csv"])',
        'df = pd.read_csv(config.path("data/raw/x.csv"))\n'
        'label = ", ".join(["../a.csv"]) + sep.join(["../b.csv"])',
    ),
    (
        "a string a file operation does not take",
        'df = pd.read_csv("../data/raw/x.csv")\ntitle = f"../{stem}"\nprint(title)',
        'df = pd.read_csv(config.path("data/raw/x.csv"))\ntitle = f"../{stem}"\nprint(title)',
    ),
]


def _project(root: Path, *cells: str) -> Path:
    """root/notebooks/nb.ipynb beside root/data/raw/x.csv (no marker: the paths make the root)."""
    (root / "notebooks").mkdir(parents=True)
    (root / "data" / "raw").mkdir(parents=True)
    (root / "data" / "raw" / "x.csv").write_text("a\n1\n")
    (root / "notebooks" / "local.csv").write_text("a\n1\n")
    sources = (IMPORTS, STEM, *cells)
    return write(root / "notebooks" / "nb.ipynb", notebook(*(code(s) for s in sources)))


def _cell_code(plan: Plan, cell: int) -> str:
    return "\n".join(p.statement.code for p in plan.statements if p.statement.cell == cell)


@pytest.mark.parametrize(("cell", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_relative_paths_are_rewritten_from_the_project_root(
    tmp_path: Path, cell: str, expected: str | None
) -> None:
    nb = _project(tmp_path / "p", cell)
    plan = make_plan(load(str(nb)))
    assert _cell_code(plan, 2) == (cell if expected is None else expected)
    assert all(
        p.kept for p in plan.statements if p.statement.cell == 2 and "df" in p.statement.code
    )
    # the package is consistent: every function reading config.path takes the config
    for function in plan.functions:
        reads = any("config.path(" in st.code for st in function.statements)
        assert not reads or function.takes_config


def test_the_plan_records_the_root_and_the_files_that_exist(tmp_path: Path) -> None:
    nb = _project(tmp_path / "p", 'df = pd.read_csv("../data/raw/x.csv")\ndf.to_csv("../out.csv")')
    plan = make_plan(load(str(nb)))
    assert plan.base_dir == ".."
    assert plan.project_files == ("data/raw/x.csv",)  # out.csv does not exist yet
    assert any("project root" in w and "--base-dir" in w for w in plan.warnings)


def test_a_path_field_gets_its_default_from_the_root(tmp_path: Path) -> None:
    nb = _project(
        tmp_path / "p",
        'DATA_PATH = "../data/raw/x.csv"\nSOURCE = "../data/raw/x.csv"\nLABEL = "../x"',
        "df = pd.read_csv(DATA_PATH)\nsame = pd.read_csv(SOURCE)\nprint(LABEL)",
    )
    plan = make_plan(load(str(nb)))
    fields = {c.name: (c.value, c.is_path) for c in plan.config}
    assert fields["DATA_PATH"] == ("'data/raw/x.csv'", True)  # by its name
    assert fields["SOURCE"] == ("'data/raw/x.csv'", True)  # read by a file operation
    assert fields["LABEL"] == ("'../x'", False)  # neither: a string like any other
    data = render(plan).files[f"src/{plan.package}/data.py"]
    assert "DATA_PATH = config.path(config.data_path)" in data
    assert "SOURCE = config.path(config.source)" in data


def test_a_notebook_in_a_plain_folder_keeps_its_paths(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a\n1\n")
    nb = write(
        tmp_path / "nb.ipynb",
        notebook(code(IMPORTS), code('df = pd.read_csv("x.csv")\ndf.to_csv("out/y.csv")')),
    )
    plan = make_plan(load(str(nb)))
    assert plan.base_dir == "."
    assert _cell_code(plan, 1) == (
        'df = pd.read_csv(config.path("x.csv"))\ndf.to_csv(config.path("out/y.csv"))'
    )
    config = render(plan).files[f"src/{plan.package}/config.py"]
    assert 'base_dir: str = "."  # the notebook\'s folder' in config


@pytest.mark.parametrize(
    "cell",
    [
        'os.chdir("..")\ndf = pd.read_csv("data/raw/x.csv")',
        'config = {"a": 1}\ndf = pd.read_csv("../data/raw/x.csv")',
        'df = (lambda config: pd.read_csv("../data/raw/x.csv"))(None)',
    ],
    ids=["the notebook changes directory", "the notebook binds config", "a parameter config"],
)
def test_nothing_moves_when_it_would_not_be_sound(tmp_path: Path, cell: str) -> None:
    nb = _project(tmp_path / "p", cell)
    plan = make_plan(load(str(nb)))
    assert plan.base_dir == "."
    assert _cell_code(plan, 2) == cell


def test_definitions_moved_to_module_level_keep_their_paths(tmp_path: Path) -> None:
    cell = 'def read():\n    return pd.read_csv("../data/raw/x.csv")'
    nb = _project(tmp_path / "p", cell, "df = read()")
    plan = make_plan(load(str(nb)))
    assert [d.name for d in plan.definitions] == ["read"]
    assert plan.definitions[0].statement.code == cell  # no `config` at module level


def test_the_generated_code_runs_from_the_root_and_with_base_dir(tmp_path: Path) -> None:
    """Every rewritten form, executed: from the root by default, from elsewhere with base_dir."""
    cells = [c[1] for c in CASES if c[2] is not None and "AutoModel" not in c[1]]
    nb = _project(tmp_path / "p", *(re.sub(r"\bdf\b", f"df{i}", c) for i, c in enumerate(cells)))
    plan = make_plan(load(str(nb)))
    statements = [st for f in plan.functions for st in f.statements]
    assert sum("config.path(" in st.code for st in statements) >= len(cells) - 1

    config = types.ModuleType("generated_config")  # the package's own config.py
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, config.__name__, config)
        exec(render(plan).files[f"src/{plan.package}/config.py"], config.__dict__)
    Config = config.Config

    for base, cwd in ((".", tmp_path / "p"), (str(tmp_path / "p"), tmp_path)):
        (tmp_path / "p" / "data" / "out").mkdir(exist_ok=True)
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            scope: dict[str, object] = {"config": Config(base_dir=base), "sep": ","}
            exec(IMPORTS, scope)
            scope["stem"] = "x"
            for st in statements:
                if "stem = config" not in st.code:
                    exec(compile(ast.parse(st.code), "<cell>", "exec"), scope)
        assert (tmp_path / "p" / "data" / "out" / "y.csv").is_file()
        (tmp_path / "p" / "data" / "out" / "y.csv").unlink()


# --- the sites themselves (nb2prod.notebook.project_root) ----------------------------------


def test_sites_do_not_overlap_and_rebase_from_the_root(tmp_path: Path) -> None:
    source = 'x = open(Path("..") / "a" / "b.txt", "w")\ny = os.path.join("..", name, "c.csv")'
    tree = ast.parse(source)
    sites = path_sites(tree, source, path_names([tree]), tmp_path / "nb")
    assert [(s.path, source[s.start : s.end]) for s in sites] == [
        ("../a/b.txt", 'Path("..") / "a" / "b.txt"'),
        ("..", '".."'),
    ]
    base = tmp_path
    assert rebase(sites[0], tmp_path / "nb", base) == "a/b.txt"
    assert rebase(sites[1], tmp_path / "nb", base) == "."
    assert rebase(PathSite("../data/", False, 0, 0), tmp_path / "nb", base) == "data/"
    assert rebase(PathSite("out_", False, 0, 0), tmp_path / "nb", base) == "nb/out_"
    assert rebase(PathSite("..", False, 0, 0), tmp_path / "nb", base) is None
