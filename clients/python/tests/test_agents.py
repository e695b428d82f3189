"""Outside agents: Control gives a faction to an agent and gets its token; the agent plays
through an ordinary seat; its messages to other factions wait for Control's approval; revoking
the seat ends the agent's connection for good, and a new agent seat works again."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional, Tuple, cast

import pytest

from detente_client import (
    ApiError,
    Client,
    CreateGame,
    HeldMessage,
    Seat,
    SeatClosedError,
    SeatView,
)
from helpers import ADMIN_TOKEN, NO_DEADLINES, Server, run

RUSSIA: Any = {"role": "faction", "faction": "russia"}


async def new_game(server: Server, **body: Any) -> Tuple[Client, Any]:
    client = Client(server.url, admin_token=ADMIN_TOKEN)
    created = await client.create_game(cast(CreateGame, {"deadlines": NO_DEADLINES, **body}))
    return client, created


def held_with(view: SeatView, text: str) -> Optional[HeldMessage]:
    """The held message of ``view`` with ``text``, if there is one."""
    return next((h for h in view.get("held", []) if h["text"] == text), None)


def texts(view: SeatView) -> List[str]:
    return [m["text"] for m in view["messages"]]


async def settle(seat: Seat) -> Dict[str, Any]:
    """The server's view once the game is quiet, and this seat has received everything."""
    before = await seat.refresh()
    while True:
        await asyncio.sleep(0.3)
        after = await seat.refresh()
        if after["seq"] == before["seq"]:
            return dict(after["view"])
        before = after


def assert_agent_parts_match(seat: Seat, fresh: Dict[str, Any]) -> None:
    """The folded ``agents``, ``held`` and ``messages`` equal the server's."""
    mine: Dict[str, Any] = dict(seat.view)
    for key in ("agents", "held", "messages"):
        assert mine.get(key) == fresh.get(key), f"view[{key!r}] differs"


def test_add_agent_is_refused_for_a_bot_faction_and_for_non_control(server: Server) -> None:
    async def go() -> None:
        client, game = await new_game(server, bots={"csto": "dove"}, start="now")
        with pytest.raises(ApiError) as err:
            await client.add_agent(game.game_id, game.control_token, "csto", "Bot's rival")
        assert err.value.status == 409 and err.value.code == "bot_seat"
        with pytest.raises(ApiError) as err:
            await client.add_agent(game.game_id, game.control_token, "atlantis", "Nobody")
        assert err.value.code == "unknown_faction"

        ben = await client.join(game.join_code, "Ben", faction="us_nato")
        with pytest.raises(ApiError) as err:
            await client.add_agent(game.game_id, ben.seat_token, "russia", "Mine")
        assert err.value.status == 403 and err.value.code == "control_only"
        # People sit in US/NATO: an agent cannot take it.
        with pytest.raises(ApiError) as err:
            await client.add_agent(game.game_id, game.control_token, "us_nato", "Usurper")
        assert err.value.code == "agent_seat"
        with pytest.raises(ApiError) as err:
            await client.revoke_agent(game.game_id, ben.seat_token, "russia")
        assert err.value.code == "control_only"
        # Revoking a faction no agent plays changes nothing.
        assert await client.revoke_agent(game.game_id, game.control_token, "russia") == []

    run(go())


def test_control_approves_and_rejects_an_agents_messages_then_revokes_it(
    server: Server,
) -> None:
    async def go() -> None:
        client, game = await new_game(
            server, bots={"us_nato": "pragmatist", "csto": "dove"}, start="now", seed=3
        )
        seat = await client.add_agent(
            game.game_id, game.control_token, "russia", "Negotiator v2", approve_chat=True
        )
        assert (seat.faction, seat.name, seat.approve_chat) == ("russia", "Negotiator v2", True)
        assert seat.token and seat.seat_id
        # The faction has its agent's seat: a second one is refused, and so are people.
        with pytest.raises(ApiError) as err:
            await client.add_agent(game.game_id, game.control_token, "russia", "Again")
        assert err.value.code == "agent_seat"
        with pytest.raises(ApiError) as err:
            await client.join(game.join_code, "Anna", faction="russia")
        assert err.value.code == "agent_seat"
        watching = await client.join(game.join_code, "Projector", observer=True)

        control = client.seat(game.control_token)
        agent = client.seat(seat.token)
        watcher = client.seat(watching.seat_token)
        for s in (control, agent, watcher):
            await s.connect()
        try:
            assert agent.faction == "russia" and agent.you["seat_id"] == seat.seat_id
            everyone_sees = {"russia": {"name": "Negotiator v2", "approve_chat": True}}
            for s in (control, agent, watcher):
                assert s.view.get("agents") == everyone_sees

            # A message to the plenary is acked but held: Control and the agent see it waiting,
            # with the writer's seat in Control's form only.
            first = "Russia proposes a moratorium on exercises."
            await agent.chat(first)
            waiting = await control.wait_until(lambda v: held_with(v, first) is not None, timeout=5)
            held = held_with(waiting, first)
            assert held is not None and "decision" not in held
            assert held["faction"] == "russia" and held.get("member") == seat.seat_id
            own = held_with(
                await agent.wait_until(lambda v: held_with(v, first) is not None, timeout=5),
                first,
            )
            assert own is not None and own["id"] == held["id"] and "member" not in own
            assert first not in texts(agent.view)

            # Its team channel needs no approval.
            await agent.chat("Note to self", {"kind": "team", "faction": "russia"})
            await agent.wait_until(lambda v: "Note to self" in texts(v), timeout=5)
            assert len(agent.view.get("held", [])) == 1

            # Approved: a new chat_posted from Russia reaches the others.
            await control.approve_message("russia", held["id"])
            seen = await watcher.wait_until(lambda v: first in texts(v), timeout=5)
            posted = next(m for m in seen["messages"] if m["text"] == first)
            assert posted["from"] == RUSSIA and posted["channel"] == {"kind": "plenary"}
            await agent.wait_until(lambda v: first in texts(v), timeout=5)
            decided = held_with(control.view, first)
            assert decided is not None and decided["decision"]["approved"]
            assert decided["decision"].get("message") == posted["id"]

            # Rejected: never delivered; the agent's folded view says why.
            second = "Russia demands an apology."
            bilateral: Any = {"kind": "bilateral", "factions": ["russia", "us_nato"]}
            await agent.chat(second, bilateral)
            waiting = await control.wait_until(
                lambda v: held_with(v, second) is not None, timeout=5
            )
            held2 = held_with(waiting, second)
            assert held2 is not None and held2["id"] != held["id"]
            await control.reject_message("russia", held2["id"], reason="off topic")
            view = await agent.wait_until(
                lambda v: "decision" in (held_with(v, second) or {}), timeout=5
            )
            refused = held_with(view, second)
            assert refused is not None
            assert refused["decision"]["approved"] is False
            assert refused["decision"].get("reason") == "off topic"
            assert "message" not in refused["decision"]

            # The folded views equal the server's; the observer never read a held message.
            for s in (control, agent, watcher):
                assert_agent_parts_match(s, await settle(s))
            assert second not in texts(agent.view) and second not in texts(control.view)
            assert watcher.view.get("held") == [] and second not in texts(watcher.view)
            assert len(control.view.get("held", [])) == 2
            held_events = [e.type for e in watcher.history]
            assert "chat_held" not in held_events and "held_message_decided" not in held_events

            # Revoked: the agent's connection closes (4000), its reconnection gets bad_token,
            # and the seat ends with a clear error instead of reconnecting.
            revoked = await client.revoke_agent(game.game_id, game.control_token, "russia")
            assert revoked == [seat.seat_id]
            with pytest.raises(SeatClosedError) as closed:
                await agent.wait_until(lambda v: False, timeout=10)
            assert closed.value.code == "bad_token" and closed.value.close_code == 1008
            assert "revoked" in closed.value.message
            assert agent.closed and not agent.connected
            with pytest.raises(SeatClosedError):
                await agent.chat("Still here?")
            await control.wait_until(lambda v: v.get("agents") == {}, timeout=5)
            await watcher.wait_until(lambda v: v.get("agents") == {}, timeout=5)
            with pytest.raises(SeatClosedError) as closed:
                await Seat(server.url, seat.token).connect()
            assert closed.value.code == "bad_token"

            # A new agent seat gets a new token that works; the faction's held messages stay.
            again = await client.add_agent(
                game.game_id, game.control_token, "russia", "Negotiator v3"
            )
            assert again.token != seat.token and again.seat_id != seat.seat_id
            assert not again.approve_chat
            async with client.seat(again.token) as successor:
                assert successor.faction == "russia"
                assert len(successor.view.get("held", [])) == 2
                assert successor.view.get("agents") == {
                    "russia": {"name": "Negotiator v3", "approve_chat": False}
                }
                # Without approve_chat, its messages go out at once.
                await successor.chat("Hello again.")
                await watcher.wait_until(lambda v: "Hello again." in texts(v), timeout=5)
            await control.wait_until(lambda v: "russia" in v.get("agents", {}), timeout=5)
            assert control.view.get("agents", {})["russia"]["name"] == "Negotiator v3"
            assert_agent_parts_match(control, await settle(control))
        finally:
            for s in (control, agent, watcher):
                await s.close()

    run(go())
