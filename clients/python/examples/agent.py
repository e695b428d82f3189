#!/usr/bin/env python3
"""An example negotiating agent: it plays Russia in a whole game against two built-in bots.

It creates a game (the US/NATO and the CSTO played by the server's bots, no deadlines, round 1
at once), joins it as Russia, and in each phase does something simple and sensible:

- briefing: a word in the plenary about the round's events, then Ready;
- negotiation: a proposal to US/NATO (transparency for a guarantee), then, once the bots have
  made their moves, accepts the open proposals that bind Russia at most once and turns down the
  others, then Ready;
- orders: one order it can afford, preferring transparency and survivability over build-ups
  (an order that would break an agreement is skipped, never confirmed), then Ready;
- review: Ready.

When the game ends it prints the final scores from the view. Run a server first
(``cargo run --release``), then::

    python examples/agent.py --url http://127.0.0.1:8080

Or play the seat a facilitator gave the agent in a game of their own (the console's Outside
agents panel, ``POST /api/games/{id}/agents``), whatever faction it is::

    python examples/agent.py --url http://127.0.0.1:8080 --token <the agent's seat token>

The replacement for this file's ``Agent.act`` is where a scripted or LLM-based policy goes:
it gets the seat (``seat.view`` is the game as Russia sees it) and sends commands.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any, Dict, List, Optional, Set, Tuple, cast

from detente_client import Client, CommandError, CreateGame, Seat, Terms
from detente_client.types import JsonObject, Proposal, Temperament

# Russia's actions, most preferred first (ids from GET /api/scenarios/missile-defence-2013).
PREFERRED_ORDERS = [
    "exercise_observers",
    "penetration_aids",
    "offer_sectoral_defence",
    "mobile_icbm_patrols",
    "voronezh_kaliningrad",
    "ssbn_patrols",
]


def say(text: str) -> None:
    print(text, flush=True)


class Agent:
    """Plays one faction seat, one phase at a time, from ``seat.view``."""

    def __init__(self, seat: Seat, scenario: JsonObject, *, quiet: bool = False) -> None:
        self.seat = seat
        self.me = seat.faction or ""
        self.actions: Dict[str, JsonObject] = {a["id"]: a for a in scenario["actions"]}
        self.factions: List[str] = [f["id"] for f in scenario["factions"]]
        self.done: Set[Tuple[int, str]] = set()
        self.quiet = quiet
        self.commands = 0
        self.refusals: List[str] = []
        self.signed: Set[int] = set()

    def note(self, text: str) -> None:
        if not self.quiet:
            view = self.seat.view
            say(f"[{view['round_label']} {view['phase']:<11}] {text}")

    async def send(self, what: str, command: Any) -> Optional[int]:
        """Sends a command; a refusal is noted and returns None (the agent goes on)."""
        self.commands += 1
        try:
            return await self.seat.command(command)
        except CommandError as err:
            self.refusals.append(f"{what}: {err.code}")
            self.note(f"{what} refused: {err.code} ({err.message})")
            return None

    async def act(self) -> None:
        """Acts once per (round, phase), then declares Ready."""
        view = self.seat.view
        phase = view["phase"]
        key = (view["round"], phase)
        if phase in ("lobby", "ended") or key in self.done:
            return
        self.done.add(key)
        if self.me in view["ready"]:
            return  # already Ready (e.g. the agent restarted)
        if phase == "briefing":
            await self.briefing()
        elif phase == "negotiation":
            await self.negotiation()
        elif phase == "orders":
            await self.orders()
        await self.send("ready", {"type": "ready"})

    async def briefing(self) -> None:
        view = self.seat.view
        cards = [card["name"] for rnd, card in view["briefings"] if rnd == view["round"]]
        news = f" after {', '.join(cards)}" if cards else ""
        text = (
            f"Russia, {view['round_label']}: we are ready to talk{news}. Missile defence in "
            "Europe must not be aimed at our deterrent; we offer transparency for guarantees."
        )
        await self.send("chat", {"type": "chat", "channel": {"kind": "plenary"}, "text": text})
        self.note("said a word in the plenary")

    async def negotiation(self) -> None:
        view = self.seat.view
        partner = "us_nato"
        if partner in self.factions and self.me != partner:
            terms: Terms = {
                "title": f"Transparency for guarantees, {view['round_label']}",
                "parties": [self.me, partner],
                "clauses": [
                    {"kind": "data_exchange", "by": self.me},
                    {"kind": "political_guarantee", "by": partner},
                ],
                "duration_rounds": 2,
                "public": True,
            }
            if await self.send("propose", {"type": "propose", "terms": terms}) is not None:
                self.note("proposed transparency for a guarantee to US/NATO")
        # Let the bots make their moves (they declare Ready when done), and the other factions
        # a moment to make theirs, then answer.
        await self.until_others_ready(timeout=3.0)
        for proposal in list(self.seat.view["proposals"]):
            if not self.open_to_me(proposal):
                continue
            binding = [c for c in proposal["terms"]["clauses"] if c["by"] == self.me]
            title = proposal["terms"]["title"]
            if len(binding) <= 1:
                if await self.send("accept", {"type": "accept", "proposal": proposal["id"]}):
                    self.note(f"accepted '{title}'")
            else:
                reason = "Too many obligations for Russia at once"
                command = {"type": "reject", "proposal": proposal["id"], "reason": reason}
                if await self.send("reject", command):
                    self.note(f"turned down '{title}'")

    def open_to_me(self, proposal: Proposal) -> bool:
        return (
            proposal["status"].get("status") == "open"
            and self.me in proposal["terms"]["parties"]
            and self.me not in proposal["accepted_by"]
        )

    async def until_others_ready(self, timeout: float, grace: float = 1.0) -> None:
        """Waits until the bots are Ready (they are once they have moved), then up to `grace`
        seconds more for the factions people or other agents play, within `timeout` in all.
        Two agents would otherwise each wait the whole `timeout` for the other."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout

        def ready(bots_only: bool) -> bool:
            view = self.seat.view
            others = [f for f in self.factions if f != self.me]
            if bots_only:
                others = [f for f in others if f in view.get("bots", {})]
            return all(f in view["ready"] for f in others)

        async def wait(bots_only: bool, until: float) -> None:
            try:
                left = max(0.0, until - loop.time())
                await self.seat.wait_until(lambda _view: ready(bots_only), timeout=left)
            except asyncio.TimeoutError:
                pass

        await wait(True, end)
        await wait(False, min(end, loop.time() + grace))

    async def orders(self) -> None:
        view = self.seat.view
        purse = view["purses"].get(self.me, {"budget": 0.0, "capital": 0.0})
        preferred = PREFERRED_ORDERS
        if self.me != "russia":
            # Another faction's seat (a facilitator's game): its own actions, cheapest first.
            own = [a for a in self.actions.values() if a.get("owner") == self.me]
            preferred = [a["id"] for a in sorted(own, key=lambda a: (a["budget"], a["id"]))]
        start = view["round"] % max(1, len(preferred))
        candidates = preferred[start:] + preferred[:start]
        for action_id in candidates:
            action = self.actions.get(action_id)
            if action is None or action.get("owner") != self.me:
                continue
            if action["budget"] > purse["budget"] or action["capital"] > purse["capital"]:
                continue
            if view["order_warnings"].get(action_id):
                continue  # it would break an agreement: an honest agent does not
            command = {"type": "submit_order", "action": action_id, "quantity": 1}
            if await self.send(f"order {action_id}", command) is not None:
                self.note(f"ordered: {action['name']}")
                return
        self.note("no order this round")


async def play(
    url: str,
    *,
    admin_token: Optional[str] = None,
    seed: int = 7,
    bots: Optional[Dict[str, str]] = None,
    name: str = "Agent",
    quiet: bool = False,
) -> JsonObject:
    """Creates a game, plays Russia to the end, and returns the final view."""
    client = Client(url, admin_token=admin_token)
    body: CreateGame = {
        "name": "Agent's Control",
        "title": "Python agent vs bots",
        # No deadlines: each phase ends when every faction is Ready (the bots always are).
        "deadlines": {"briefing": 0, "negotiation": 0, "orders": 0, "review": 0},
        "bots": cast(Dict[str, Temperament], bots or {"us_nato": "pragmatist", "csto": "dove"}),
        "seed": seed,
        "start": "now",
    }
    created = await client.create_game(body)
    joined = await client.join(created.join_code, name, faction="russia")
    say(f"Game {created.game_id} (join code {created.join_code}): playing Russia as {name}")
    return await play_seat(client, joined.seat_token, quiet=quiet)


async def play_seat(client: Client, token: str, *, quiet: bool = False) -> JsonObject:
    """Plays the seat `token` opens to the end of its game; returns the final view."""
    async with client.seat(token) as seat:
        scenario = await client.scenario(seat.view["scenario"], lang=seat.view["language"])
        agent = Agent(seat, scenario, quiet=quiet)
        await agent.act()
        async for _update in seat.events(welcomes=True):
            if seat.view["phase"] == "ended":
                break
            await agent.act()
        # After the end everyone sees everything, and scores are computed by the server:
        # read the view again rather than folding events.
        final = await seat.refresh()
        view = final["view"]
        ending = view.get("ending") or {}
        scores = view["scores"]
        say("")
        say(
            f"Game over ({ending.get('reason', '?')}) after {len(view['reports'])} rounds; "
            f"{len(view['agreements'])} agreements known to Russia."
        )
        say("Final scores: " + ", ".join(f"{f} {s:.1f}" for f, s in sorted(scores.items())))
        say(
            f"The agent of {agent.me} sent {agent.commands} commands "
            f"({len(agent.refusals)} refused), over {seat.stats.connections} connection(s)."
        )
        return dict(view)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--url", default=os.environ.get("DETENTE_URL", "http://127.0.0.1:8080"))
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("DETENTE_ADMIN_TOKEN"),
        help="the server's admin token, if it has one (default: $DETENTE_ADMIN_TOKEN)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--bots",
        default="us_nato=pragmatist,csto=dove",
        help="the bots' temperaments, e.g. us_nato=hawk,csto=dove",
    )
    parser.add_argument("--name", default="Agent")
    parser.add_argument(
        "--token",
        help="play the seat this token opens (one a facilitator gave the agent) "
        "instead of creating a game",
    )
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for the game")
    args = parser.parse_args(argv)
    bots = dict(pair.split("=", 1) for pair in args.bots.split(",") if pair)
    try:
        game = (
            play_seat(Client(args.url), args.token, quiet=args.quiet)
            if args.token
            else play(
                args.url,
                admin_token=args.admin_token,
                seed=args.seed,
                bots=bots,
                name=args.name,
                quiet=args.quiet,
            )
        )
        view = asyncio.run(asyncio.wait_for(game, args.timeout))
    except asyncio.TimeoutError:
        print(f"the game did not end within {args.timeout:.0f} s", file=sys.stderr)
        return 1
    return 0 if view["phase"] == "ended" else 1


if __name__ == "__main__":
    sys.exit(main())
