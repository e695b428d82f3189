"""The example agent plays a whole game against two bots, to its end."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import cast

from detente_client import Client, CreateGame
from helpers import ADMIN_TOKEN, CLIENT_DIR, NO_DEADLINES, Server, run


def example_agent(server: Server, *args: str) -> str:
    """Runs examples/agent.py against `server` with `args` (50 s for the game); its output,
    once it has exited 0."""
    done = subprocess.run(
        [
            sys.executable,
            str(CLIENT_DIR / "examples" / "agent.py"),
            "--url",
            server.url,
            *args,
            "--timeout",
            "50",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    return done.stdout


def test_example_agent_plays_a_whole_game(server: Server) -> None:
    out = example_agent(server, "--admin-token", ADMIN_TOKEN, "--seed", "5")
    assert "playing Russia" in out
    for phase in ("briefing", "negotiation", "orders"):
        assert f"2013 {phase}" in out, phase
    assert re.search(r"Game over \((last_round|crisis)\)", out), out
    scores = re.search(r"Final scores: csto [\d.]+, russia [\d.]+, us_nato [\d.]+", out)
    assert scores, out


def test_example_agent_plays_the_seat_a_facilitator_gave_it(server: Server) -> None:
    """A facilitator's game, the US/NATO handed to an outside agent: the example agent plays
    that seat (`--token`) to the end, with its messages to others approved by nobody."""

    async def give_seat() -> str:
        client = Client(server.url, admin_token=ADMIN_TOKEN)
        created = await client.create_game(
            cast(
                CreateGame,
                {
                    "deadlines": NO_DEADLINES,
                    "bots": {"russia": "hawk", "csto": "dove"},
                    "seed": 3,
                    "start": "now",
                },
            )
        )
        seat = await client.add_agent(
            created.game_id, created.control_token, "us_nato", "Example", approve_chat=True
        )
        return seat.token

    token = run(give_seat())
    out = example_agent(server, "--token", token)
    assert "2013 orders" in out, out
    assert re.search(r"Game over \((last_round|crisis)\)", out), out
    assert "The agent of us_nato sent" in out, out
