"""The example agent plays a whole game against two bots, to its end."""

from __future__ import annotations

import re
import subprocess
import sys

from helpers import ADMIN_TOKEN, CLIENT_DIR, Server


def test_example_agent_plays_a_whole_game(server: Server) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(CLIENT_DIR / "examples" / "agent.py"),
            "--url",
            server.url,
            "--admin-token",
            ADMIN_TOKEN,
            "--seed",
            "5",
            "--timeout",
            "50",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = done.stdout
    assert done.returncode == 0, f"{out}\n{done.stderr}"
    assert "playing Russia" in out
    for phase in ("briefing", "negotiation", "orders"):
        assert f"2013 {phase}" in out, phase
    assert re.search(r"Game over \((last_round|crisis)\)", out), out
    scores = re.search(r"Final scores: csto [\d.]+, russia [\d.]+, us_nato [\d.]+", out)
    assert scores, out
