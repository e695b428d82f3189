"""The tests' plumbing: the real ``detente`` binary as a child process, and small helpers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Coroutine, Optional, TypeVar

from detente_client.types import PhaseDeadlines

ROOT = Path(__file__).resolve().parents[3]
CLIENT_DIR = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "python-client-tests-admin-token"

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Runs a coroutine on a new event loop, with a time limit."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def detente_bin() -> Optional[Path]:
    env = os.environ.get("DETENTE_BIN")
    if env:
        return Path(env)
    for profile in ("debug", "release"):
        candidate = ROOT / "target" / profile / "detente"
        if candidate.is_file():
            return candidate
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``detente serve`` as a child process; restartable on the same port and database."""

    def __init__(self, binary: Path, folder: Path) -> None:
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.database = folder / "detente.db"
        self.log_path = folder / "server.log"
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("DETENTE_") and k != "DATABASE_URL"
        }
        env["DETENTE_ADMIN_TOKEN"] = ADMIN_TOKEN
        env.setdefault("RUST_LOG", "info")
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n---- start {self.starts} ----\n".encode())
            self.proc = subprocess.Popen(
                [
                    str(self.binary),
                    "serve",
                    "--addr",
                    f"127.0.0.1:{self.port}",
                    "--database-url",
                    f"sqlite://{self.database}",
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"detente serve exited at start:\n{self.tail()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"detente serve not ready within 30 s:\n{self.tail()}")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        self.proc = None

    def restart(self, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def api(self, method: str, path: str, body: Any = None, token: Optional[str] = None) -> Any:
        """A blocking REST call for the tests' own checks."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")


NO_DEADLINES: PhaseDeadlines = {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0}
