"""No module of the project acts on import: importing one only defines things.

Anything that imports modules by name (Panel's /components/ route did, for any
module a URL named) must not be able to run a command, print or write a file.
One subprocess imports every module, watched by an audit hook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("fintech", "semantic", "pipelines", "expectations", "dashboard")


def project_modules() -> list[str]:
    """Every module of the project's packages, found on disk (nothing imported to find them)."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            names.append(".".join(parts))
    return names


def bench_scripts() -> list[str]:
    """bench/*.py: scripts, not a package; they import each other by bare name (bench/ on sys.path)."""
    return sorted(path.stem for path in (ROOT / "bench").glob("*.py"))


# Run in the child: record every command started and every file opened for writing, then import everything.
CHILD = r"""
import importlib, json, os, sys
ROOT, BENCH, CWD, DATA, NAMES, SCRIPTS, OUT = sys.argv[1:8]
seen = []
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def hook(event, args):
    if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                 "os.forkpty", "pty.spawn"):
        seen.append([event, repr(args)[:300]])
    elif event == "open" and args and isinstance(args[0], (str, bytes)):
        mode, flags = args[1] if len(args) > 1 else "r", args[2] if len(args) > 2 else 0
        writing = any(c in (mode or "") for c in "wax+") or bool((flags or 0) & WRITES)
        path = os.path.abspath(os.fsdecode(args[0]))
        if writing and path.startswith((ROOT, CWD, DATA)) and "__pycache__" not in path:
            seen.append(["open", path])

sys.addaudithook(hook)
sys.path[:0] = [ROOT, BENCH]
failed = []
for name in json.loads(NAMES) + json.loads(SCRIPTS):
    try:
        importlib.import_module(name)
    except BaseException as e:
        failed.append([name, f"{type(e).__name__}: {e}"])
sys.stdout.flush(); sys.stderr.flush()
os.write(int(OUT), json.dumps({"failed": failed, "seen": seen}).encode())
"""


def test_importing_every_module_does_nothing(tmp_path):
    cwd, data = tmp_path / "cwd", tmp_path / "data"
    cwd.mkdir()
    data.mkdir()
    names, scripts = project_modules(), bench_scripts()
    assert {"fintech.__main__", "dashboard.warm", "dashboard.app", "semantic"} <= set(names)
    read, write = os.pipe()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("FINTECH_")},
           "FINTECH_DATA_DIR": str(data), "PYTHONDONTWRITEBYTECODE": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ROOT), str(ROOT / "bench"), str(cwd), str(data),
         json.dumps(names), json.dumps(scripts), str(write)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        pass_fds=(write,))
    os.close(write)
    stdout, stderr = child.communicate(timeout=180)
    with os.fdopen(read) as f:
        report = json.loads(f.read() or "{}")
    assert child.returncode == 0, stderr.decode()
    assert report["failed"] == []
    assert report["seen"] == []
    assert stdout.decode() == "" and stderr.decode() == ""
    assert list(cwd.iterdir()) == [] and list(data.iterdir()) == []
