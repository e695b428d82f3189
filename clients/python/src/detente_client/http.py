"""The HTTP API (§2 of docs/protocol.md), with the standard library's ``urllib`` run in a worker
thread (``asyncio.to_thread``), so the event loop never blocks and no HTTP package is needed."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, cast

from .errors import ApiError, as_code
from .types import (
    CreateGame,
    FactionId,
    JsonObject,
    Message,
    ScenarioInfo,
    Seat,
    Summary,
)

if TYPE_CHECKING:
    from .seat import EventCallback, Seat as SeatConnection, WelcomeCallback

DEFAULT_TIMEOUT = 30.0
"""Seconds an HTTP call may take."""


@dataclass(frozen=True)
class Created:
    """Answer to ``POST /api/games``. ``control_token`` is shown once: keep it."""

    game_id: str
    join_code: str
    control_token: str
    control_seat_id: str

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Created:
        return cls(
            game_id=str(body["game_id"]),
            join_code=str(body["join_code"]),
            control_token=str(body["control_token"]),
            control_seat_id=str(body["control_seat_id"]),
        )


@dataclass(frozen=True)
class Joined:
    """Answer to ``POST /api/join``: a new seat. ``seat_token`` is shown once: keep it."""

    game_id: str
    seat_id: str
    seat_token: str
    seat: Seat
    name: str

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Joined:
        return cls(
            game_id=str(body["game_id"]),
            seat_id=str(body["seat_id"]),
            seat_token=str(body["seat_token"]),
            seat=cast(Seat, body["seat"]),
            name=str(body["name"]),
        )


@dataclass(frozen=True)
class AgentSeat:
    """Answer to ``POST /api/games/{id}/agents``: the seat of an outside agent Control gave
    a faction. ``token`` is shown once: hand it to the agent (``Client.seat(token)``)."""

    seat_id: str
    faction: FactionId
    name: str
    approve_chat: bool
    token: str

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AgentSeat:
        return cls(
            seat_id=str(body["seat_id"]),
            faction=str(body["faction"]),
            name=str(body["name"]),
            approve_chat=bool(body.get("approve_chat", False)),
            token=str(body["token"]),
        )


def websocket_url(base_url: str) -> str:
    """``http://host:port[/prefix]`` → ``ws://host:port[/prefix]/ws`` (``https`` → ``wss``)."""
    parts = urllib.parse.urlsplit(base_url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    path = parts.path.rstrip("/") + "/ws"
    return urllib.parse.urlunsplit((scheme, parts.netloc, path, "", ""))


class Client:
    """The server's HTTP API. Every method is a coroutine.

    >>> client = Client("http://127.0.0.1:8080")
    >>> created = await client.create_game({"bots": {"csto": "dove"}, "start": "now"})
    >>> joined = await client.join(created.join_code, "Agent", faction="russia")
    >>> async with client.seat(joined.seat_token) as seat: ...

    ``admin_token`` is sent when creating a game (servers started with ``--admin-token``);
    requests with it also escape the per-address limits on creating games and taking seats.
    Errors are :class:`ApiError` with the server's stable ``code``; a server that cannot be
    reached raises :class:`OSError` (``urllib.error.URLError``).
    """

    def __init__(
        self,
        base_url: str,
        *,
        admin_token: Optional[str] = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    # -- plumbing ------------------------------------------------------------------------------

    def _request_sync(
        self,
        method: str,
        path: str,
        body: Optional[Mapping[str, Any]],
        token: Optional[str],
    ) -> Any:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                text = resp.read().decode("utf-8")
        except urllib.error.HTTPError as err:
            raw = err.read().decode("utf-8", errors="replace")
            try:
                parsed = json.loads(raw)
                code = as_code(parsed["code"])
                message = str(parsed.get("message", ""))
            except (ValueError, KeyError, TypeError):
                code, message = as_code("internal"), raw.strip()[:500]
            raise ApiError(err.code, code, message) from None
        return json.loads(text) if text else None

    async def request(
        self,
        method: str,
        path: str,
        body: Optional[Mapping[str, Any]] = None,
        *,
        token: Optional[str] = None,
        retries: int = 0,
    ) -> Any:
        """One call of the API: the decoded JSON answer. ``retries``: how many more times to
        try after ``503 unavailable`` or a refused connection, with a backoff (only for calls
        that change nothing, such as a GET)."""
        delay = 0.5
        for attempt in range(retries + 1):
            try:
                return await asyncio.to_thread(
                    self._request_sync, method, path, body, token
                )
            except ApiError as err:
                if err.code != "unavailable" or attempt == retries:
                    raise
            except OSError:
                if attempt == retries:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

    # -- games ---------------------------------------------------------------------------------

    async def create_game(self, body: Optional[CreateGame] = None) -> Created:
        """``POST /api/games``: a new game; ``{}`` or ``None`` for every default (a lobby, the
        scenario's deadlines, no bots). See :class:`~detente_client.types.CreateGame`."""
        answer = await self.request(
            "POST", "/api/games", dict(body or {}), token=self.admin_token
        )
        return Created.from_json(answer)

    async def join(
        self,
        code: str,
        name: str,
        *,
        faction: Optional[FactionId] = None,
        observer: bool = False,
    ) -> Joined:
        """``POST /api/join``: a new seat in the game of join code ``code``: in ``faction``,
        as an observer, or (neither) in the human faction with the fewest players."""
        body: Dict[str, Any] = {"code": code, "name": name}
        if faction is not None:
            body["faction"] = faction
        if observer:
            body["observer"] = True
        answer = await self.request("POST", "/api/join", body, token=self.admin_token)
        return Joined.from_json(answer)

    async def game(self, game_id: str, token: str) -> Summary:
        """``GET /api/games/{id}``: the game as the token's seat sees it now (``seq`` says up
        to which event). The view parts events do not carry (scores, indices, builds) are
        fresh here."""
        answer = await self.request(
            "GET", f"/api/games/{game_id}", token=token, retries=3
        )
        return cast(Summary, answer)

    async def messages(
        self,
        game_id: str,
        token: str,
        channel: str = "plenary",
        *,
        before: Optional[int] = None,
    ) -> List[Message]:
        """``GET /api/games/{id}/messages``: up to 200 messages of ``channel`` (``plenary``,
        ``bilateral-<f>-<f>``, ``team-<f>``, ``control-<f>``) with an id below ``before``
        (the latest when ``None``), oldest first."""
        query: Dict[str, Any] = {"channel": channel}
        if before is not None:
            query["before"] = before
        path = f"/api/games/{game_id}/messages?{urllib.parse.urlencode(query)}"
        answer = await self.request("GET", path, token=token, retries=3)
        return cast(List[Message], answer)

    async def all_messages(
        self, game_id: str, token: str, channel: str = "plenary"
    ) -> List[Message]:
        """Every message of ``channel`` the seat may read, oldest first (pages backwards)."""
        out: List[Message] = []
        before: Optional[int] = None
        while True:
            page = await self.messages(game_id, token, channel, before=before)
            out[:0] = page
            if not page or page[0]["id"] <= 1:
                return out
            before = page[0]["id"]

    async def reports(self, game_id: str, token: str) -> List[JsonObject]:
        """``GET /api/games/{id}/reports``: the turn reports the seat may read."""
        answer = await self.request(
            "GET", f"/api/games/{game_id}/reports", token=token, retries=3
        )
        return cast(List[JsonObject], answer)

    async def seats(self, game_id: str, control_token: str) -> List[JsonObject]:
        """``GET /api/games/{id}/seats`` (Control): who is seated, and connected."""
        answer = await self.request(
            "GET", f"/api/games/{game_id}/seats", token=control_token, retries=3
        )
        return cast(List[JsonObject], answer)

    async def move_seat(
        self,
        game_id: str,
        seat_id: str,
        control_token: str,
        *,
        faction: Optional[FactionId] = None,
        observer: bool = False,
    ) -> JsonObject:
        """``PUT /api/games/{id}/seats/{seat_id}`` (Control): move a seat to ``faction`` or to
        the observers. Its open connections get ``seat_changed`` and reconnect."""
        body: Dict[str, Any] = {"observer": True} if observer else {"faction": faction}
        answer = await self.request(
            "PUT", f"/api/games/{game_id}/seats/{seat_id}", body, token=control_token
        )
        return cast(JsonObject, answer)

    async def add_agent(
        self,
        game_id: str,
        control_token: str,
        faction: FactionId,
        name: str,
        approve_chat: bool = False,
    ) -> AgentSeat:
        """``POST /api/games/{id}/agents`` (Control): an outside agent plays ``faction``
        (everyone sees ``agent_set``), through the seat whose token this returns, once. With
        ``approve_chat`` its messages to other factions wait for Control's
        ``approve_message``. Refused with ``bot_seat`` (a bot plays it), ``agent_seat``
        (people sit in it, or its agent has a seat already), ``game_ended``."""
        body = {"faction": faction, "name": name, "approve_chat": approve_chat}
        answer = await self.request(
            "POST", f"/api/games/{game_id}/agents", body, token=control_token
        )
        return AgentSeat.from_json(answer)

    async def revoke_agent(
        self, game_id: str, control_token: str, faction: FactionId
    ) -> List[str]:
        """``DELETE /api/games/{id}/agents/{faction}`` (Control): the agent's token opens
        nothing from now on (its seat ends with ``bad_token``) and people may play
        ``faction`` again. Returns the ids of the seats revoked (none when no agent played
        it)."""
        path = f"/api/games/{game_id}/agents/{urllib.parse.quote(faction, safe='')}"
        answer = await self.request("DELETE", path, token=control_token)
        return [str(seat) for seat in answer.get("seats", [])]

    async def branch(
        self, game_id: str, control_token: str, body: Mapping[str, Any]
    ) -> JsonObject:
        """``POST /api/games/{id}/branch`` (Control): a new game from the start of a past
        round or phase of this one (``{"round": 1, "phase": "negotiation", …}``); it waits
        paused until its Control sends ``resume``. Answers ``BranchCreated``."""
        answer = await self.request(
            "POST", f"/api/games/{game_id}/branch", body, token=control_token
        )
        return cast(JsonObject, answer)

    # -- scenarios -----------------------------------------------------------------------------

    async def scenarios(self, lang: Optional[str] = None) -> List[ScenarioInfo]:
        """``GET /api/scenarios``: the scenarios offered (round labels in ``rounds``)."""
        path = "/api/scenarios" + (f"?lang={urllib.parse.quote(lang)}" if lang else "")
        return cast(List[ScenarioInfo], await self.request("GET", path, retries=3))

    async def scenario(self, scenario_id: str, lang: Optional[str] = None) -> JsonObject:
        """``GET /api/scenarios/{id}``: the rulebook (factions, actions with their costs and
        limits, clause kinds, events, …) in the JSON form of the scenario file."""
        path = f"/api/scenarios/{urllib.parse.quote(scenario_id)}"
        if lang:
            path += f"?lang={urllib.parse.quote(lang)}"
        return cast(JsonObject, await self.request("GET", path, retries=3))

    # -- seats ---------------------------------------------------------------------------------

    def seat(
        self,
        token: str,
        *,
        on_event: Optional[EventCallback] = None,
        on_welcome: Optional[WelcomeCallback] = None,
        **options: Any,
    ) -> SeatConnection:
        """A :class:`~detente_client.Seat` played with ``token`` on this server (not connected
        yet: ``await seat.connect()``, or ``async with``). ``options`` go to ``Seat``."""
        from .seat import Seat as SeatConnection

        return SeatConnection(
            self.base_url,
            token,
            client=self,
            on_event=on_event,
            on_welcome=on_welcome,
            **options,
        )
