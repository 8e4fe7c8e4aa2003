"""The notebooks run: every code cell of each notebook, in order, in one namespace."""
import json
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_cells_run(path, capsys):
    cells = json.loads(path.read_text())["cells"]
    namespace = {"__name__": "__notebook__"}
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            exec(compile("".join(cell["source"]), f"{path.name}[cell {i}]", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "False" not in printed, f"a check printed False:\n{printed}"


def test_there_is_a_notebook():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb file"
