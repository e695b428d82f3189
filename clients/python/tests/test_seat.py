"""Playing a seat: typed refusals, events (iterator and callbacks), the folded view against the
server's, reconnection from the last sequence, seat_changed, and `unavailable` retried."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any, Dict, List, Tuple, cast

import pytest

from detente_client import (
    Client,
    CommandError,
    CreateGame,
    Event,
    Seat,
    SeatClosedError,
    SeatView,
    Welcome,
)
from helpers import ADMIN_TOKEN, NO_DEADLINES, Server, free_port, run

PLENARY: Any = {"kind": "plenary"}


async def new_game(server: Server, **body: Any) -> Tuple[Client, Any]:
    client = Client(server.url, admin_token=ADMIN_TOKEN)
    created = await client.create_game(cast(CreateGame, {"deadlines": NO_DEADLINES, **body}))
    return client, created


async def settle(seat: Seat) -> Dict[str, Any]:
    """The server's view once the game is quiet, and this seat has received everything."""
    before = await seat.refresh()
    while True:
        await asyncio.sleep(0.3)
        after = await seat.refresh()
        if after["seq"] == before["seq"]:
            return dict(after)
        before = after


FOLDED_KEYS = [
    "round",
    "round_label",
    "phase",
    "paused",
    "deadline_at",
    "start",
    "vars",
    "purses",
    "orders",
    "ready",
    "members_ready",
    "briefings",
    "annotations",
    "bots",
    "overrides",
    "moderation",
    "branch",
    "ending",
]


def assert_view_matches(folded: SeatView, server: Dict[str, Any]) -> None:
    """The folded view equals the server's in every part events carry (§6)."""
    fresh: Dict[str, Any] = server["view"]
    mine: Dict[str, Any] = dict(folded)
    for key in FOLDED_KEYS:
        assert mine.get(key) == fresh.get(key), f"view[{key!r}] differs"
    assert mine["messages"] == fresh["messages"], "messages differ"
    by_id = {p["id"]: p for p in fresh["proposals"]}
    assert sorted(by_id) == sorted(p["id"] for p in mine["proposals"])
    for p in mine["proposals"]:
        assert p == by_id[p["id"]], f"proposal {p['id']} differs"
    assert sorted(a["id"] for a in mine["agreements"]) == sorted(
        a["id"] for a in fresh["agreements"]
    )


def test_refusals_are_typed(server: Server) -> None:
    async def go() -> None:
        client, game = await new_game(server, bots={"csto": "dove"}, start="now")
        russia = await client.join(game.join_code, "Anna", faction="russia")
        watcher = await client.join(game.join_code, "Projector", observer=True)
        async with client.seat(russia.seat_token) as seat:
            assert seat.view["phase"] == "briefing" and seat.faction == "russia"
            terms: Any = {
                "title": "Too early",
                "parties": ["russia", "us_nato"],
                "clauses": [{"kind": "data_exchange", "by": "russia"}],
                "duration_rounds": 2,
            }
            with pytest.raises(CommandError) as err:
                await seat.propose(terms)
            assert err.value.code == "wrong_phase" and not err.value.retryable
            assert "negotiation" in err.value.message

            # A refusal is stored with its id: the same command again gets it again.
            with pytest.raises(CommandError) as err:
                await seat.command({"type": "propose", "terms": terms}, id="early-1")
            with pytest.raises(CommandError) as again:
                await seat.command({"type": "propose", "terms": terms}, id="early-1")
            assert err.value.code == again.value.code == "wrong_phase"

            # The same id and command: the same ack, nothing twice.
            hello: Any = {"type": "chat", "channel": PLENARY, "text": "Good morning"}
            first = await seat.command(hello, id="hello-1")
            assert await seat.command(hello, id="hello-1") == first
            # The same id for another command.
            with pytest.raises(CommandError) as err:
                await seat.command({"type": "chat", "channel": PLENARY, "text": "Hi"}, id="hello-1")
            assert err.value.code == "duplicate_id"

            # A command the server cannot parse: bad_frame, matched to it by order.
            loud: Any = {"type": "chat", "channel": PLENARY, "text": "x", "loud": True}
            with pytest.raises(CommandError) as err:
                await seat.command(loud)
            assert err.value.code == "bad_frame" and "loud" in err.value.message

            with pytest.raises(CommandError) as err:
                await seat.command({"type": "pause"})
            assert err.value.code == "control_only"
            with pytest.raises(CommandError) as err:
                await seat.chat("x" * 2001)
            assert err.value.code == "limit"
            with pytest.raises(ValueError):
                await seat.command({"type": "ready"}, id="")

            await seat.wait_for_seq(first, timeout=5)
            mine = [m["text"] for m in seat.view["messages"] if m["from"] == seat.you["seat"]]
            assert mine == ["Good morning"]

        async with client.seat(watcher.seat_token) as projector:
            with pytest.raises(CommandError) as err:
                await projector.chat("Hello from the back")
            assert err.value.code == "not_your_faction"
            assert projector.faction is None

        with pytest.raises(SeatClosedError) as closed:
            await Seat(server.url, "not-a-token").connect()
        assert closed.value.code == "bad_token" and closed.value.close_code == 1008
        with pytest.raises(OSError):
            await Seat(f"http://127.0.0.1:{free_port()}", "any").connect()

    run(go())


def test_events_callbacks_and_the_folded_view(server: Server) -> None:
    """Russia and Control play two phases and more; every event reaches both the iterator and
    the callbacks, and the views folded from events equal the server's."""

    async def go() -> None:
        client, game = await new_game(
            server, bots={"us_nato": "pragmatist", "csto": "dove"}, start="now", seed=11
        )
        joined = await client.join(game.join_code, "Anna", faction="russia")
        called: List[Event] = []
        welcomes: List[Welcome] = []
        russia = client.seat(joined.seat_token, on_event=called.append)
        russia.on_welcome(welcomes.append)
        control = client.seat(game.control_token)
        await russia.connect()
        await control.connect()
        iterated: List[Event] = []

        async def collect() -> None:
            async for event in russia.events():
                iterated.append(event)

        collector = asyncio.create_task(collect())
        try:
            said = await russia.chat("Good morning, delegates.")
            await control.command({"type": "annotate", "text": "Watch the Baltic."})
            await control.command(
                {"type": "override", "var": "tension", "value": 35, "reason": "Calm press"}
            )
            await control.command({"type": "pause"})
            await control.command({"type": "resume"})
            await russia.wait_for_seq(said, timeout=5)
            message_id = next(
                m["id"] for m in russia.view["messages"] if m["text"] == "Good morning, delegates."
            )
            await control.command(
                {"type": "hide_message", "channel": PLENARY, "message": message_id}
            )
            await control.command(
                {"type": "mute_member", "member": joined.seat_id, "minutes": 5, "reason": "Test"}
            )
            with pytest.raises(CommandError) as err:
                await russia.chat("Am I muted?")
            assert err.value.code == "muted"
            await control.command({"type": "unmute_member", "member": joined.seat_id})
            await control.command({"type": "set_bot", "faction": "csto", "temperament": "hawk"})

            await russia.ready()
            phase = await russia.wait_for(
                lambda e: e.event["type"] == "phase_changed", timeout=10, since=said
            )
            assert phase.event["type"] == "phase_changed"
            assert phase.event["phase"] == "negotiation"
            await russia.propose(
                {
                    "title": "Radar talks",
                    "parties": ["russia", "us_nato"],
                    "clauses": [
                        {"kind": "data_exchange", "by": "russia"},
                        {"kind": "political_guarantee", "by": "us_nato"},
                    ],
                    "duration_rounds": 2,
                }
            )
            await settle(russia)
            for p in russia.view["proposals"]:
                if p["status"]["status"] == "open" and "russia" not in p["accepted_by"]:
                    try:
                        await russia.accept(p["id"])
                    except CommandError as e:
                        assert e.code in ("over_budget", "invalid")
            await russia.ready()
            await russia.wait_until(lambda view: view["phase"] == "orders", timeout=10)
            ordered = []
            for action in ["exercise_observers", "penetration_aids", "mobile_icbm_patrols"]:
                try:
                    ordered.append(await russia.submit_order(action))
                except CommandError as e:
                    assert e.code == "would_breach", e  # an accord just signed forbids it
            assert len(ordered) >= 2
            await russia.wait_for_seq(ordered[-1], timeout=5)
            order = russia.view["orders"]["russia"][0]
            await russia.command({"type": "withdraw_order", "order": order["id"]})
            server_view = await settle(russia)
            assert_view_matches(russia.view, server_view)
            assert_view_matches(control.view, await settle(control))

            await russia.ready()  # adjudication: the round's report
            await russia.wait_until(lambda view: len(view["reports"]) == 1, timeout=10)
            assert_view_matches(russia.view, await settle(russia))
            assert_view_matches(control.view, await settle(control))
            assert russia.view["moderation"][0]["kind"] == "hide_message"
            assert len(russia.view["reports"]) == 1
        finally:
            await russia.close()
            await control.close()
        await asyncio.wait_for(collector, 5)  # the iterator ends with the seat

        assert [e.seq for e in iterated] == [e.seq for e in called] == [
            e.seq for e in russia.history
        ]
        seqs = [e.seq for e in russia.history]
        assert seqs == sorted(set(seqs)), "in order, each once"
        assert len(welcomes) == 1 and welcomes[0].view is not None
        assert russia.stats.duplicate_events == 0

    run(go())


def test_reconnects_from_the_last_sequence(server: Server) -> None:
    """The connection drops; meanwhile others talk and this seat sends a command. It comes
    back with last_seq, gets just what it missed, and the command lands once."""

    async def go() -> None:
        client, game = await new_game(server, bots={"csto": "dove"}, start="now")
        anna = await client.join(game.join_code, "Anna", faction="russia")
        ben = await client.join(game.join_code, "Ben", faction="us_nato")
        async with client.seat(anna.seat_token) as russia, client.seat(ben.seat_token) as us:
            await russia.chat("before the drop")
            ws = russia._ws
            assert ws is not None
            ws.transport.abort()  # as a network failure: no close frame
            bilateral: Any = {"kind": "bilateral", "factions": ["us_nato", "russia"]}
            for i in range(5):
                await us.chat(f"missed {i}", bilateral if i % 2 else None)
            sent_while_away = asyncio.create_task(
                russia.command(
                    {"type": "chat", "channel": PLENARY, "text": "while away"}, id="away-1"
                )
            )
            last = await sent_while_away
            await russia.wait_for_seq(last, timeout=10)
            assert russia.stats.connections == 2
            assert russia.stats.resumes == 1, "resumed from last_seq, no new view"
            assert russia.stats.duplicate_events == 0
            assert_view_matches(russia.view, await settle(russia))
            texts = [m["text"] for m in russia.view["messages"]]
            for text in ["before the drop", "while away"] + [f"missed {i}" for i in range(5)]:
                assert texts.count(text) == 1, text
            seqs = [e.seq for e in russia.history]
            assert seqs == sorted(set(seqs))

    run(go())


def test_seat_changed_reconnects_with_a_new_view(server: Server) -> None:
    async def go() -> None:
        client, game = await new_game(server)
        anna = await client.join(game.join_code, "Anna", faction="russia")
        async with client.seat(anna.seat_token) as seat:
            assert seat.view["seat"] == {"role": "faction", "faction": "russia"}
            updates = seat.events(welcomes=True)
            await client.move_seat(game.game_id, anna.seat_id, game.control_token, observer=True)

            async def next_welcome() -> Welcome:
                async for update in updates:
                    if isinstance(update, Welcome):
                        return update
                raise AssertionError("no welcome")

            welcome = await asyncio.wait_for(next_welcome(), 10)
            assert welcome.view is not None, "a full view: no last_seq after seat_changed"
            assert seat.view["seat"] == {"role": "observer"}
            assert seat.faction is None
            with pytest.raises(CommandError) as err:
                await seat.chat("Can I still talk?")
            assert err.value.code == "not_your_faction"

    run(go())


def test_unavailable_is_retried_with_the_same_id(server: Server) -> None:
    """The database is locked for a while: the command is answered `unavailable`, retried
    with the same id, and lands once."""

    async def go() -> None:
        client, game = await new_game(server, start="now")
        anna = await client.join(game.join_code, "Anna", faction="russia")
        async with client.seat(anna.seat_token) as seat:
            await seat.chat("before the lock")
            db = sqlite3.connect(str(server.database), timeout=5, isolation_level=None)
            try:
                db.execute("BEGIN EXCLUSIVE")
                started = time.monotonic()
                task = asyncio.create_task(seat.chat("while locked"))
                while seat.stats.unavailable == 0 and time.monotonic() - started < 10:
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)
            finally:
                db.execute("COMMIT") if db.in_transaction else None
                db.close()
            seq = await asyncio.wait_for(task, 30)
            assert seat.stats.unavailable >= 1 and seat.stats.commands_resent >= 1
            await seat.wait_for_seq(seq, timeout=5)
            messages = await client.messages(game.game_id, anna.seat_token)
            assert [m["text"] for m in messages] == ["before the lock", "while locked"]

    run(go())


def test_a_student_token_waits_for_the_class_to_start(server: Server) -> None:
    async def go() -> None:
        created = await asyncio.to_thread(
            server.api,
            "POST",
            "/api/classes",
            {"name": "Year 11", "bots_for_gaps": "dove"},
            ADMIN_TOKEN,
        )
        student = await asyncio.to_thread(
            server.api, "POST", "/api/classes/join", {"code": created["join_code"], "name": "Ada"}
        )
        seat = Seat(server.url, student["student_token"])
        connecting = asyncio.create_task(seat.connect())
        await asyncio.sleep(0.5)
        assert not connecting.done(), "waiting in the class"
        await asyncio.to_thread(
            server.api,
            "POST",
            f"/api/classes/{created['class_id']}/start",
            None,
            created["teacher_token"],
        )
        welcome = await asyncio.wait_for(connecting, 10)
        assert welcome.view is not None and welcome.you["name"] == "Ada"
        assert seat.faction in ("russia", "us_nato", "csto")
        await seat.close()

        with pytest.raises(SeatClosedError) as err:
            await Seat(server.url, created["teacher_token"]).connect()
        assert err.value.code == "invalid"

    run(go())
