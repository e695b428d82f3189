"""A restart of the server mid-game loses and doubles nothing: messages sent with ids before,
during and after the restart each appear exactly once."""

from __future__ import annotations

import asyncio
import signal
from typing import Any, Dict, List

import pytest

from detente_client import Client, Seat
from helpers import ADMIN_TOKEN, NO_DEADLINES, Server, run

PLENARY: Any = {"kind": "plenary"}


def chat(text: str) -> Any:
    return {"type": "chat", "channel": PLENARY, "text": text}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_restart_loses_and_doubles_nothing(own_server: Server, sig: int) -> None:
    server = own_server

    async def go() -> None:
        client = Client(server.url, admin_token=ADMIN_TOKEN)
        game = await client.create_game(
            {"deadlines": NO_DEADLINES, "bots": {"csto": "dove"}, "start": "now", "seed": 3}
        )
        anna = await client.join(game.join_code, "Anna", faction="russia")
        texts = [f"message {i:02d}" for i in range(30)]
        acks: Dict[str, int] = {}
        seat = client.seat(anna.seat_token, backoff_initial=0.2)
        await seat.connect()
        try:

            async def send(i: int) -> None:
                acks[texts[i]] = await seat.command(chat(texts[i]), id=f"chat-{i:02d}")

            # Before: acknowledged one by one.
            for i in range(10):
                await send(i)
            # At the moment the server goes: sent together, some answered, some in flight.
            at_stop = [asyncio.create_task(send(i)) for i in range(10, 20)]
            await asyncio.sleep(0)
            await asyncio.to_thread(server.stop, sig)
            # While it is down: kept until the connection is back.
            while_down = [asyncio.create_task(send(i)) for i in range(20, 30)]
            await asyncio.sleep(0.3)
            assert not seat.connected
            await asyncio.to_thread(server.start)
            await asyncio.wait_for(asyncio.gather(*at_stop, *while_down), 30)

            assert sorted(acks) == texts
            assert len(set(acks.values())) == len(texts), "one event each"
            assert seat.stats.connections >= 2
            # A retry of a command acknowledged before the restart: the same ack, no copy.
            assert await seat.command(chat(texts[0]), id="chat-00") == acks[texts[0]]
            await seat.wait_for_seq(max(acks.values()), timeout=10)

            # Each message exactly once: in the history of the server ...
            stored = await client.all_messages(game.game_id, anna.seat_token)
            mine = [m["text"] for m in stored if m["from"] == {"role": "faction", "faction": "russia"}]
            assert sorted(mine) == texts, "each once, none lost"
            # ... in this seat's view, kept up to date across the restart ...
            kept = [m["text"] for m in seat.view["messages"] if m["text"].startswith("message ")]
            assert sorted(kept) == texts
            assert kept == mine, "in the server's order"
            seqs = [e.seq for e in seat.history]
            assert seqs == sorted(set(seqs)) and seat.stats.duplicate_events == 0
            # ... and in a fresh welcome.
            async with Seat(server.url, anna.seat_token) as fresh:
                again: List[str] = [
                    m["text"] for m in fresh.view["messages"] if m["text"].startswith("message ")
                ]
                assert again == mine
        finally:
            await seat.close()

    run(go(), timeout=90)
