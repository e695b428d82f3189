"""The server under test: the real ``detente`` binary (``$DETENTE_BIN``), on a free loopback
port, with a SQLite database in a temporary folder. ``tests/python_client.rs`` sets
``DETENTE_BIN`` to the binary Cargo built; run by hand, the tests look for
``target/{debug,release}/detente`` and skip when there is none."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Iterator, List

import pytest

from helpers import Server, detente_bin


def _server(folder: Path) -> Server:
    binary = detente_bin()
    if binary is None or not binary.is_file():
        pytest.skip("no detente binary: set DETENTE_BIN or run `cargo build --bin detente`")
    return Server(binary, folder)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that do not stop it."""
    srv = _server(tmp_path_factory.mktemp("detente-shared"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server of the test's own, which it may stop and start again."""
    srv = _server(tmp_path)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop(signal.SIGKILL)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failure, show the end of the server's log."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and call.when == "call":
        servers: List[Server] = [
            v for v in getattr(item, "funcargs", {}).values() if isinstance(v, Server)
        ]
        for srv in servers:
            report.sections.append(("detente serve log (tail)", srv.tail()))

