"""The batch example plays several headless games with two Python agents and a bot, and writes
each game's research export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers import ADMIN_TOKEN, CLIENT_DIR, Server


def test_batch_plays_games_and_writes_their_research_exports(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    done = subprocess.run(
        [
            sys.executable,
            str(CLIENT_DIR / "examples" / "batch.py"),
            "--url",
            server.url,
            "--admin-token",
            ADMIN_TOKEN,
            "--games",
            "3",
            "--parallel",
            "2",
            "--agents",
            "russia,us_nato",
            "--bots",
            "csto=dove",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["games"] == 3, summary
    assert summary["games_per_minute"] > 0, summary
    assert set(summary["mean_scores"]) == {"csto", "russia", "us_nato"}, summary
    exports = sorted(out.glob("game-*.json"))
    assert [p.name for p in exports] == ["game-0001.json", "game-0002.json", "game-0003.json"]
    for path in exports:
        export = json.loads(path.read_text())
        # Indices per round and the agents' orders: the game was played through.
        assert export["indices"] and export["orders"] and export["scores"], path.name
        assert {p["role"] for p in export["participants"]} >= {"faction", "bot"}, path.name
