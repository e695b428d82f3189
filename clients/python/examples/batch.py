#!/usr/bin/env python3
"""Batch runs: many headless games where some seats are Python agents and the rest built-in bots.

Each game is created with the factions not played by agents handed to bots, the agents join
their factions and play (``agent.Agent``, one per seat) until the game ends, and the game's
research export (``GET /api/games/{id}/research``: pseudonyms, orders, indices per round,
scores; the chat's text never goes out for a game outside a class) is written to a folder. At
the end it prints how many games ended, how long it took and the games per minute.

Start a server with an admin token (game creation is rate-limited per address otherwise)::

    detente serve --admin-token secret

then::

    python examples/batch.py --url http://127.0.0.1:8080 --admin-token secret \\
        --games 20 --parallel 4 --agents russia,us_nato --bots csto=dove --out exports/

Replace ``agent.Agent`` with your own policy to put a scripted or LLM-based negotiator in
those seats.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.request
from typing import Dict, List, Optional, cast

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from agent import Agent  # noqa: E402  (the example agent, next to this file)
from detente_client import Client, CreateGame  # noqa: E402
from detente_client.types import Temperament  # noqa: E402


async def play_agent(client: Client, code: str, faction: str) -> None:
    joined = await client.join(code, f"Agent {faction}", faction=faction)
    async with client.seat(joined.seat_token) as seat:
        scenario = await client.scenario(seat.view["scenario"], lang=seat.view["language"])
        agent = Agent(seat, scenario, quiet=True)
        await agent.act()
        async for _update in seat.events(welcomes=True):
            if seat.view["phase"] == "ended":
                return
            await agent.act()


def research_export(url: str, game_id: str, token: str) -> bytes:
    request = urllib.request.Request(
        f"{url}/api/games/{game_id}/research", headers={"authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as answer:
        return cast(bytes, answer.read())


async def one_game(
    client: Client, url: str, n: int, agents: List[str], bots: Dict[str, str], out: Optional[str]
) -> Dict[str, float]:
    body: CreateGame = {
        "name": "Batch",
        "title": f"Batch game {n}",
        "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0},
        "bots": cast(Dict[str, Temperament], bots),
        "seed": n,
        "start": "when_seated",
    }
    created = await client.create_game(body)
    await asyncio.gather(*(play_agent(client, created.join_code, f) for f in agents))
    final = await client.game(created.game_id, created.control_token)
    if out:
        data = await asyncio.to_thread(research_export, url, created.game_id, created.control_token)
        with open(os.path.join(out, f"game-{n:04}.json"), "wb") as f:
            f.write(data)
    return dict(final["view"]["scores"])


async def batch(args: argparse.Namespace) -> int:
    agents = [a for a in args.agents.split(",") if a]
    bots = dict(pair.split("=", 1) for pair in args.bots.split(",") if pair)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    client = Client(args.url, admin_token=args.admin_token)
    gate = asyncio.Semaphore(args.parallel)
    results: List[Dict[str, float]] = []

    async def run(n: int) -> None:
        async with gate:
            results.append(await one_game(client, args.url, n, agents, bots, args.out))

    started = time.monotonic()
    await asyncio.gather(*(run(n) for n in range(1, args.games + 1)))
    minutes = (time.monotonic() - started) / 60
    per_faction: Dict[str, List[float]] = {}
    for scores in results:
        for faction, score in scores.items():
            per_faction.setdefault(faction, []).append(score)
    print(
        json.dumps(
            {
                "games": len(results),
                "agents": agents,
                "bots": bots,
                "parallel": args.parallel,
                "minutes": round(minutes, 3),
                "games_per_minute": round(len(results) / minutes, 1) if minutes else None,
                "mean_scores": {f: round(sum(s) / len(s), 1) for f, s in sorted(per_faction.items())},
            }
        )
    )
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--url", default=os.environ.get("DETENTE_URL", "http://127.0.0.1:8080"))
    parser.add_argument("--admin-token", default=os.environ.get("DETENTE_ADMIN_TOKEN"))
    parser.add_argument("--games", type=int, default=10)
    parser.add_argument("--parallel", type=int, default=4, help="games played at once")
    parser.add_argument("--agents", default="russia,us_nato", help="factions played by agents")
    parser.add_argument("--bots", default="csto=dove", help="the other factions' bots")
    parser.add_argument("--out", default=None, help="folder for the research exports")
    return asyncio.run(batch(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
