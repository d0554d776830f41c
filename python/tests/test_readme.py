"""The README's notebook-style Python example runs as written."""

from __future__ import annotations

import os
import re

from conftest import ROOT


def test_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Python: the engine in a notebook"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert 15 <= len(code.strip().splitlines()) <= 30
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace: dict = {}
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    assert namespace["results"].n_trades > 0
    assert "trades" in capsys.readouterr().out.lower()
