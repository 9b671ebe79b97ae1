#!/usr/bin/env python3
"""Sets up musicsync in ./.venv (only Python 3.11+ needed) and runs it.

    python3 run.py demo     set up, then sync a few synthesised tracks and print the library
    python3 run.py test     set up, then run the test suite
    python3 run.py setup    set up only
    python3 run.py -- ARGS  set up, then `musicsync ARGS` (e.g. `python3 run.py -- doctor`)
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".musicsync-installed"


def setup() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py is started by whatever python3 the user has
        sys.exit(f"musicsync needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing musicsync and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", ".[test]"], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "demo"
    os.chdir(ROOT)
    setup()
    if command == "setup":
        return 0
    if command == "demo":
        return subprocess.call([str(BIN / "musicsync"), "demo"])
    if command == "test":
        return subprocess.call([str(BIN / "python"), "-m", "pytest", *sys.argv[2:]])
    if command == "--":
        return subprocess.call([str(BIN / "musicsync"), *sys.argv[2:]])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
