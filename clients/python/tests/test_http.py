"""The HTTP API: create, join (by faction, as an observer, assigned), and its typed errors."""

from __future__ import annotations

from typing import Any

import pytest

from detente_client import ApiError, Client, websocket_url
from helpers import ADMIN_TOKEN, NO_DEADLINES, Server, run


def test_create_and_join(server: Server) -> None:
    async def go() -> None:
        client = Client(server.url, admin_token=ADMIN_TOKEN)
        created = await client.create_game(
            {"deadlines": NO_DEADLINES, "bots": {"csto": "dove"}, "title": "HTTP test"}
        )
        assert len(created.join_code) == 6 and created.control_token
        russia = await client.join(created.join_code.lower(), "Anna", faction="russia")
        assert russia.seat == {"role": "faction", "faction": "russia"}
        assert russia.game_id == created.game_id
        observer = await client.join(created.join_code, "Projector", observer=True)
        assert observer.seat == {"role": "observer"}
        # No faction asked for: the human faction with the fewest players (US/NATO here).
        assigned = await client.join(created.join_code, "Ben")
        assert assigned.seat == {"role": "faction", "faction": "us_nato"}
        summary = await client.game(created.game_id, russia.seat_token)
        assert summary["view"]["phase"] == "lobby"
        assert summary["view"]["title"] == "HTTP test"
        assert summary["you"]["name"] == "Anna"
        scenarios = await client.scenarios()
        assert scenarios[0]["rounds"][0] == "2013"

    run(go())


def test_http_errors_are_typed(server: Server) -> None:
    async def go() -> None:
        client = Client(server.url, admin_token=ADMIN_TOKEN)
        created = await client.create_game({"bots": {"csto": "hawk"}})

        with pytest.raises(ApiError) as err:
            await client.join(created.join_code, "Carl", faction="csto")
        assert (err.value.status, err.value.code) == (409, "bot_seat")

        with pytest.raises(ApiError) as err:
            await client.join(created.join_code, "Carl", faction="china")
        assert (err.value.status, err.value.code) == (422, "unknown_faction")

        with pytest.raises(ApiError) as err:
            await client.join(created.join_code, "Carl", faction="russia", observer=True)
        assert (err.value.status, err.value.code) == (422, "invalid")

        owl: Any = {"bots": {"csto": "owl"}}
        with pytest.raises(ApiError) as err:
            await client.create_game(owl)
        assert (err.value.status, err.value.code) == (400, "bad_request")
        assert "bots.csto" in err.value.message

        with pytest.raises(ApiError) as err:
            await Client(server.url).create_game({})
        assert (err.value.status, err.value.code) == (401, "unauthorized")

        with pytest.raises(ApiError) as err:
            await client.game(created.game_id, "not-a-token")
        assert (err.value.status, err.value.code) == (401, "unauthorized")
        assert not err.value.retryable

        with pytest.raises(ApiError) as err:
            await client.join("ZZZZZZ", "Carl")
        assert (err.value.status, err.value.code) == (404, "unknown_code")

    run(go())


def test_websocket_url() -> None:
    assert websocket_url("http://127.0.0.1:8080") == "ws://127.0.0.1:8080/ws"
    assert websocket_url("https://example.org/detente/") == "wss://example.org/detente/ws"
    with pytest.raises(ValueError):
        websocket_url("ftp://example.org")
