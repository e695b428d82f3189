"""The package, the example and the tests type-check with mypy --strict (when mypy is
installed: `pip install -e 'clients/python[test]'`)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from helpers import CLIENT_DIR


def test_mypy_strict() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed")
    cache = os.path.join(tempfile.gettempdir(), "detente-python-mypy-cache")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", cache],
        cwd=CLIENT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
