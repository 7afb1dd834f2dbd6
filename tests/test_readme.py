"""The README's Python example runs as shown, against a freshly built warehouse."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT, SAMPLE_CSV, build_warehouse, warehouse_url


def test_readme_python_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    target = build_warehouse(SAMPLE_CSV, tmp_path / "fintech.duckdb")
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, cwd=tmp_path,
                            env={"FINTECH_BACKEND": warehouse_url(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
