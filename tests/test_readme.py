"""The README's Python example runs as shown, against a freshly built warehouse."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT, warehouse_url


def test_readme_python_example_runs(published, tmp_path):
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    target = published[0]  # the sample, built by `fintech build`
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, cwd=tmp_path,
                            env={"FINTECH_BACKEND": warehouse_url(target), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
