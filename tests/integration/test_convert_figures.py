"""A package has no cells, so it closes figures where the notebook's inline backend did."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nb2prod.convert.build import convert
from tests.helpers import code, notebook, write

CELLS = (
    "import matplotlib.pyplot as plt\nimport numpy as np",
    "def draw_point(ax, p):\n    ax.scatter([p[0]], [p[1]], [p[2]])\n\n"
    "def annotate(text):\n    return plt.text(0.5, 0.5, text)",
    # a 3-D axes left current: in the notebook it is closed when the cell ends
    "point = np.array([1.0, 2.0, 3.0])\nax3d = plt.subplot(111, projection='3d')\ndraw_point(ax3d, point)",
    "scale = point.sum()",
    # on a 3-D axes, text() wants x, y, z and s: this fails if the figure above is still current
    "label = f'sum {scale:.1f}'\nnote = annotate(label)",
)


def test_figures_are_closed_after_each_drawing_cell_and_the_package_runs(tmp_path: Path) -> None:
    nb = write(
        tmp_path / "figures.ipynb", notebook(*(code(src, i + 1) for i, src in enumerate(CELLS)))
    )
    converted = convert(str(nb), str(tmp_path / "pkg"), pin=False)
    source = "\n".join(p.read_text() for p in (converted.out_dir / "src" / "figures").glob("*.py"))
    closes = [line.strip() for line in source.splitlines() if "close(" in line]
    # after the 3-D cell (through the notebook's own draw_point) and after the text cell; not after `scale`
    assert closes == [
        'plt.close("all")  # the notebook closed its figures after cell 2',
        'plt.close("all")  # the notebook closed its figures after cell 4',
    ], closes

    env = {**os.environ, "PYTHONPATH": str(converted.out_dir / "src"), "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-m", "figures"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
