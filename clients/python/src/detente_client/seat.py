"""Playing a seat over the WebSocket (§3–4, §9–10 of docs/protocol.md).

A :class:`Seat` keeps one connection to ``/ws`` open for one token, and hides its drops: it
reconnects with ``last_seq`` (or without it after ``seat_changed``), applies the catch-up
events exactly once, and sends every unanswered command again with its original id, so that each
command takes effect exactly once whatever happens to the connection or the server.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import json
import logging
import random
import uuid
from collections import deque
from dataclasses import dataclass
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Deque,
    Dict,
    List,
    Literal,
    Optional,
    Sequence,
    Union,
    cast,
    overload,
)

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from .errors import CommandError, DetenteError, SeatClosedError, as_code
from .fold import fold
from .http import Client, websocket_url
from .types import (
    Channel,
    ChatCommand,
    Command,
    FactionId,
    SeatEvent,
    SeatInfo,
    SeatView,
    Summary,
    Teammate,
    Terms,
)

log = logging.getLogger("detente_client")

Json = Dict[str, Any]


@dataclass(frozen=True)
class Welcome:
    """A ``welcome`` frame. With ``view``: the seat's whole state as of ``seq`` (it replaced
    the state kept). Without: the connection resumed from the last sequence seen, and the
    events missed follow."""

    game_id: str
    you: SeatInfo
    seq: int
    view: Optional[SeatView]


@dataclass(frozen=True)
class Event:
    """An ``event`` frame: the game's event number ``seq``, as this seat may see it."""

    seq: int
    event: SeatEvent

    @property
    def type(self) -> str:
        """The event's type, e.g. ``"phase_changed"``."""
        return str(self.event["type"])


Update = Union[Event, Welcome]
EventCallback = Callable[[Event], Optional[Awaitable[None]]]
WelcomeCallback = Callable[[Welcome], Optional[Awaitable[None]]]


@dataclass
class SeatStats:
    """What the connection went through (for logs and tests)."""

    connections: int = 0
    """Connections that reached a ``welcome``."""
    views: int = 0
    """``welcome`` frames that carried a whole view."""
    resumes: int = 0
    """``welcome`` frames without a view (resumed from ``last_seq``)."""
    commands_sent: int = 0
    """``command`` frames sent, retries included."""
    commands_resent: int = 0
    """``command`` frames sent again with the same id (after a drop or ``unavailable``)."""
    unavailable: int = 0
    """``unavailable`` answers retried."""
    duplicate_events: int = 0
    """Events dropped because the state already held them (should stay 0)."""


@dataclass
class _Pending:
    id: str
    frame: str
    future: "asyncio.Future[int]"
    in_flight: bool = False
    sends: int = 0
    attempts: int = 0
    retry: Optional[asyncio.TimerHandle] = None


@dataclass
class _Ping:
    future: "asyncio.Future[float]"
    sent_at: float = 0.0


_Reply = Union[str, _Ping]

# Close codes after which reconnecting cannot help (§3): a protocol error of this client.
_FATAL_CLOSE_CODES = {1002, 1007, 1009}
_FATAL_CONNECTION_CODES = {"bad_token", "too_many_connections", "hello_first"}
_FATAL_CLOSE_REASONS = {"bad token", "too many connections for this seat"}


class Seat:
    """One seat (faction, Control or observer) played over ``/ws`` with its token.

    Use it as an async context manager, or call :meth:`connect` and :meth:`close`::

        async with Seat("http://127.0.0.1:8080", token) as seat:
            print(seat.view["phase"])
            seq = await seat.chat("Good morning, delegates.")
            async for event in seat.events():
                ...

    What it keeps: :attr:`view` (the latest view, with every event since folded in, §6),
    :attr:`seq` (the last sequence applied), :attr:`welcome` (the latest ``welcome``),
    :attr:`snapshot` (the latest view a ``welcome`` carried, unchanged),
    :attr:`history` (every event received), :attr:`team` (the latest ``team`` frame).

    Options: ``backoff_initial``/``backoff_max`` (seconds between reconnects: 0.5 s doubling
    up to 30 s, with jitter), ``frames_per_second``/``burst`` (a client-side limit under the
    server's 20 frames/s, bursts of 40), ``open_timeout`` (seconds to open a connection),
    ``round_labels`` (fetch the scenario's round labels so that ``view["round_label"]``
    follows ``round_began``).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        client: Optional[Client] = None,
        on_event: Optional[EventCallback] = None,
        on_welcome: Optional[WelcomeCallback] = None,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        frames_per_second: float = 15.0,
        burst: int = 30,
        open_timeout: float = 10.0,
        round_labels: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = websocket_url(self.base_url)
        self.client = client if client is not None else Client(self.base_url)
        self._token = token
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._rate = frames_per_second
        self._burst = float(burst)
        self._open_timeout = open_timeout
        self._want_labels = round_labels

        self._event_callbacks: List[EventCallback] = []
        self._welcome_callbacks: List[WelcomeCallback] = []
        if on_event is not None:
            self._event_callbacks.append(on_event)
        if on_welcome is not None:
            self._welcome_callbacks.append(on_welcome)

        # State (§10: "what to remember").
        self._view: Optional[SeatView] = None
        self._stateless = False
        self._snapshot: Optional[SeatView] = None
        self._seq: int = 0
        self._welcome: Optional[Welcome] = None
        self._feed: List[Update] = []
        self._round_labels: Optional[List[str]] = None
        self.team: Optional[List[Teammate]] = None
        """The latest ``team`` frame's members (a faction of several people), else ``None``."""
        self.stats = SeatStats()

        # Connection.
        self._ws: Optional[ClientConnection] = None
        self._connected = False
        self._pending: Dict[str, _Pending] = {}
        self._replies: Deque[_Reply] = deque()
        self._connection_error: Optional[Json] = None
        self._send_lock: Optional[asyncio.Lock] = None
        self._tokens = self._burst
        self._tokens_at = 0.0

        # Lifecycle.
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._supervisor: Optional["asyncio.Task[None]"] = None
        self._dispatcher: Optional["asyncio.Task[None]"] = None
        self._tasks: "set[asyncio.Task[Any]]" = set()
        self._first_welcome: Optional["asyncio.Future[Welcome]"] = None
        self._changed: Optional["asyncio.Future[None]"] = None
        self._closing = False
        self._closed = False
        self._fatal: Optional[SeatClosedError] = None

    # -- public state --------------------------------------------------------------------------

    @property
    def view(self) -> SeatView:
        """The seat's view: the latest ``welcome`` view with every event since folded in.
        The model-computed parts (``scores``, ``indices``, ``builds``, ``order_warnings``) are
        as of that welcome: :meth:`refresh` fetches fresh ones."""
        if self._view is None:
            raise DetenteError("not connected yet: await seat.connect() first")
        return self._view

    @property
    def snapshot(self) -> Optional[SeatView]:
        """The latest view a ``welcome`` carried, as it came (``None`` before the first)."""
        return self._snapshot

    @property
    def seq(self) -> int:
        """The last event sequence applied to :attr:`view` (``last_seq`` of §10)."""
        return self._seq

    @property
    def welcome(self) -> Optional[Welcome]:
        """The latest ``welcome`` received."""
        return self._welcome

    @property
    def you(self) -> SeatInfo:
        """Who this seat is: ``seat_id``, ``seat``, ``name``."""
        if self._welcome is None:
            raise DetenteError("not connected yet")
        return self._welcome.you

    @property
    def game_id(self) -> str:
        if self._welcome is None:
            raise DetenteError("not connected yet")
        return self._welcome.game_id

    @property
    def faction(self) -> Optional[FactionId]:
        """This seat's faction, or ``None`` for Control and observers."""
        seat = cast(Json, self.you["seat"])
        faction = seat.get("faction")
        return str(faction) if faction is not None else None

    @property
    def history(self) -> List[Event]:
        """Every event received, in order, across reconnects (a view-carrying ``welcome``
        in between means the events before it were replaced by that view)."""
        return [item for item in self._feed if isinstance(item, Event)]

    @property
    def connected(self) -> bool:
        """Whether a connection is open and welcomed now."""
        return self._connected

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> List[str]:
        """Ids of the commands sent and not answered yet."""
        return list(self._pending)

    # -- lifecycle -----------------------------------------------------------------------------

    async def connect(self) -> Welcome:
        """Opens the connection, sends ``hello`` and returns the first ``welcome`` (with the
        view). The first attempt fails fast: a wrong URL raises :class:`OSError`, a wrong
        token :class:`SeatClosedError` with code ``bad_token``. Afterwards the seat
        reconnects by itself until :meth:`close`."""
        if self._supervisor is not None:
            raise DetenteError("connect() was already called")
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._send_lock = asyncio.Lock()
        self._changed = loop.create_future()
        self._first_welcome = loop.create_future()
        self._tokens_at = loop.time()
        self._dispatcher = loop.create_task(self._dispatch())
        self._supervisor = loop.create_task(self._supervise())
        try:
            return await asyncio.shield(self._first_welcome)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Closes the connection for good. Unanswered commands fail with
        :class:`SeatClosedError` (they may still have been committed: a new seat object can
        send them again with the same ids to learn their fate)."""
        self._closing = True
        sup = self._supervisor
        if sup is not None and not sup.done():
            sup.cancel()
            try:
                await sup
            except (asyncio.CancelledError, Exception):
                pass
        ws = self._ws
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # pragma: no cover - closing a broken socket
                pass
        self._finish(None)
        disp = self._dispatcher
        if disp is not None and not disp.done() and disp is not asyncio.current_task():
            try:
                await asyncio.wait_for(disp, 5)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                pass
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> Seat:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- callbacks and iteration ---------------------------------------------------------------

    def on_event(self, callback: EventCallback) -> EventCallback:
        """Calls ``callback(event)`` for every event from now on, in order, one at a time
        (an ``async`` callback is awaited before the next; it may send commands). Usable as
        a decorator."""
        self._event_callbacks.append(callback)
        return callback

    def on_welcome(self, callback: WelcomeCallback) -> WelcomeCallback:
        """Calls ``callback(welcome)`` for every ``welcome`` from now on (a reconnection)."""
        self._welcome_callbacks.append(callback)
        return callback

    @overload
    def events(
        self, *, welcomes: Literal[False] = ..., since: Optional[int] = ...
    ) -> AsyncIterator[Event]: ...

    @overload
    def events(
        self, *, welcomes: Literal[True], since: Optional[int] = ...
    ) -> AsyncIterator[Update]: ...

    def events(
        self, *, welcomes: bool = False, since: Optional[int] = None
    ) -> Union[AsyncIterator[Event], AsyncIterator[Update]]:
        """The events this seat receives from the moment of the call (so that they follow
        :attr:`view` as it is then), across reconnections, until the seat is closed (then the
        iterator ends, or raises the :class:`SeatClosedError` that closed it).

        ``since``: start instead with the events already received whose ``seq`` is above it.
        ``welcomes=True``: yield the ``welcome`` frames too (a reconnection; one with a view
        replaced the state, and events the seat missed are not replayed one by one)."""
        start = len(self._feed)
        if since is not None:
            start = next(
                (
                    i
                    for i, item in enumerate(self._feed)
                    if isinstance(item, Event) and item.seq > since
                ),
                len(self._feed),
            )
        return self._iterate(start, welcomes)

    async def _iterate(self, cursor: int, welcomes: bool) -> AsyncIterator[Any]:
        while True:
            while cursor < len(self._feed):
                item = self._feed[cursor]
                cursor += 1
                if isinstance(item, Welcome) and not welcomes:
                    continue
                yield item
            if self._closed:
                if self._fatal is not None:
                    raise self._fatal
                return
            await self._wait_change()

    async def wait_for(
        self,
        predicate: Callable[[Event], bool],
        *,
        timeout: Optional[float] = None,
        since: Optional[int] = None,
    ) -> Event:
        """The first event (from now, or already received with ``seq > since``) for which
        ``predicate`` is true. Raises :class:`asyncio.TimeoutError` after ``timeout``."""

        async def first() -> Event:
            async for event in self.events(since=since):
                if predicate(event):
                    return event
            raise SeatClosedError("the seat was closed")

        return await asyncio.wait_for(first(), timeout)

    async def wait_until(
        self, condition: Callable[[SeatView], bool], *, timeout: Optional[float] = None
    ) -> SeatView:
        """Waits until ``condition(seat.view)`` holds (checked now, then after each event or
        welcome) and returns the view: e.g. ``await seat.wait_until(lambda v: v["phase"] ==
        "orders")``. Unlike :meth:`wait_for` it cannot miss an event that arrived before the
        call (an ``ack`` may come after its events)."""

        async def hold() -> SeatView:
            while True:
                if self._view is not None and condition(self._view):
                    return self._view
                if self._closed:
                    raise self._fatal or SeatClosedError("the seat was closed")
                await self._wait_change()

        return await asyncio.wait_for(hold(), timeout)

    async def wait_for_seq(self, seq: int, *, timeout: Optional[float] = None) -> None:
        """Waits until :attr:`seq` reaches ``seq`` (e.g. an ``ack``'s: its events arrive
        before or after it). A seat never receives events it may not see, so wait only for
        sequences of events this seat sees (its own chat, orders, Ready, phase changes)."""

        async def reach() -> None:
            while self._seq < seq:
                if self._closed:
                    raise self._fatal or SeatClosedError("the seat was closed")
                await self._wait_change()

        await asyncio.wait_for(reach(), timeout)

    async def refresh(self) -> Summary:
        """``GET /api/games/{id}`` with this seat's token: the view as the server has it now,
        including the parts events do not carry (``scores``, ``indices``, ``builds``,
        ``order_warnings``, agreement statuses). :attr:`view` is not changed."""
        return await self.client.game(self.game_id, self._token)

    # -- commands ------------------------------------------------------------------------------

    async def command(
        self,
        command: Command,
        *,
        id: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> int:
        """Sends a command and returns its ``ack``'s ``seq`` (the sequence of its last event).

        ``id`` defaults to a new UUID. The command is kept until answered: if the connection
        drops it is sent again with the same id after the reconnection, and ``unavailable`` is
        retried with the same id after 1 s, 2 s, 4 s … (at most 30 s), so it takes effect
        exactly once. Any other refusal raises :class:`CommandError` with the stable ``code``
        (``wrong_phase``, ``over_budget``, …). ``timeout``: give up waiting (and forget the
        command: it may still land; send it again with the same id to learn its fate).
        """
        if self._closed or self._loop is None:
            raise self._fatal or SeatClosedError("the seat is not connected")
        cid = id if id is not None else str(uuid.uuid4())
        size = len(cid.encode("utf-8"))
        if not 1 <= size <= 64:
            raise ValueError("a command id is 1 to 64 bytes (UTF-8)")
        frame = json.dumps(
            {"type": "command", "id": cid, "command": command},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        pending = self._pending.get(cid)
        if pending is not None and pending.frame != frame:
            raise ValueError(f"command id {cid!r} is waiting for an answer to another command")
        if pending is None:
            pending = _Pending(cid, frame, self._loop.create_future())
            self._pending[cid] = pending
            if self._connected:
                await self._send_command(pending)
        try:
            return await asyncio.wait_for(asyncio.shield(pending.future), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            self._forget(cid)
            raise

    async def ping(self, *, timeout: Optional[float] = 10.0) -> float:
        """Sends a ``ping`` frame; returns the seconds until its ``pong``."""
        if not self._connected or self._loop is None:
            raise SeatClosedError("not connected")
        ping = _Ping(self._loop.create_future())
        assert self._send_lock is not None
        async with self._send_lock:
            ws = self._ws
            if ws is None:
                raise SeatClosedError("not connected")
            await self._throttle()
            ping.sent_at = self._loop.time()
            self._replies.append(ping)
            await ws.send('{"type":"ping"}')
        return await asyncio.wait_for(ping.future, timeout)

    # Shorthands for the usual commands (each is ``command`` with a new id).

    async def chat(self, text: str, channel: Optional[Channel] = None) -> int:
        """Posts ``text`` in ``channel`` (the plenary by default)."""
        cmd: ChatCommand = {
            "type": "chat",
            "channel": channel if channel is not None else {"kind": "plenary"},
            "text": text,
        }
        return await self.command(cmd)

    async def ready(self) -> int:
        """Declares this seat Ready for the phase."""
        return await self.command({"type": "ready"})

    async def propose(self, terms: Terms) -> int:
        return await self.command({"type": "propose", "terms": terms})

    async def accept(self, proposal: int) -> int:
        return await self.command({"type": "accept", "proposal": proposal})

    async def reject(self, proposal: int, reason: str = "") -> int:
        return await self.command({"type": "reject", "proposal": proposal, "reason": reason})

    async def submit_order(
        self, action: str, quantity: int = 1, *, confirm_breach: bool = False
    ) -> int:
        if confirm_breach:
            return await self.command(
                {
                    "type": "submit_order",
                    "action": action,
                    "quantity": quantity,
                    "confirm_breach": True,
                }
            )
        return await self.command(
            {"type": "submit_order", "action": action, "quantity": quantity}
        )

    async def approve_message(self, faction: FactionId, held: int) -> int:
        """Control delivers held message ``held`` of agent faction ``faction`` (an id of
        ``view["held"]``): a new ``chat_posted`` follows."""
        return await self.command({"type": "approve_message", "faction": faction, "held": held})

    async def reject_message(self, faction: FactionId, held: int, reason: str = "") -> int:
        """Control refuses held message ``held`` of ``faction``: it is never delivered, and
        the agent reads ``reason`` in the decision."""
        return await self.command(
            {"type": "reject_message", "faction": faction, "held": held, "reason": reason}
        )

    # -- internals: the connection -------------------------------------------------------------

    async def _supervise(self) -> None:
        """Keeps a connection open until close(): connect, hello, read; on a drop, reconnect
        with a backoff (at once after seat_changed)."""
        failures = 0
        try:
            while not self._closing:
                connections = self.stats.connections
                delay = await self._session()
                if self._stopping():
                    break
                if self.stats.connections > connections:
                    failures = 0
                if delay is None:
                    failures += 1
                    base = min(self._backoff_max, self._backoff_initial * 2 ** (failures - 1))
                    delay = base * random.uniform(0.75, 1.25)
                log.info("detente seat: reconnecting in %.2f s", delay)
                await asyncio.sleep(delay)
        except SeatClosedError as err:
            self._finish(err)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # pragma: no cover - a bug; do not leave callers hanging
            log.exception("detente seat: connection task failed")
            self._finish(SeatClosedError(f"the connection task failed: {err!r}"))

    async def _session(self) -> Optional[float]:
        """One connection. Returns the delay before the next one (``None``: the backoff),
        or raises SeatClosedError when reconnecting cannot help."""
        first = self._welcome is None
        try:
            ws = await connect(
                self.url,
                max_size=None,
                open_timeout=self._open_timeout,
                compression=None,
            )
        except (OSError, asyncio.TimeoutError, InvalidHandshake) as err:
            if first:
                self._fail_first(err)
            log.info("detente seat: cannot connect: %s", err)
            return None
        self._ws = ws
        self._connection_error = None
        welcomed = False
        code: Optional[int] = None
        reason = ""
        try:
            hello: Json = {"type": "hello", "token": self._token}
            if self._view is not None and not self._stateless:
                hello["last_seq"] = self._seq
            await ws.send(json.dumps(hello))
            while True:
                raw = await ws.recv()
                try:
                    frame = json.loads(raw)
                except ValueError:
                    log.warning("detente seat: a frame that is not JSON: %.200r", raw)
                    continue
                if not isinstance(frame, dict):
                    continue
                if frame.get("type") == "welcome":
                    welcomed = True
                try:
                    self._on_frame(frame)
                except (KeyError, TypeError, ValueError):
                    # A frame of a form this client does not know: skip it, keep the seat.
                    log.exception("detente seat: cannot read a %r frame", frame.get("type"))
        except ConnectionClosed as closed:
            # The close frame received, if any (1006: none, the connection just ended).
            received = closed.rcvd
            code = received.code if received is not None else 1006
            reason = received.reason if received is not None else ""
        except (asyncio.CancelledError, SeatClosedError):
            await ws.close()
            raise
        finally:
            self._ws = None
            self._connected = False
            self._on_disconnect()
        error: Json = self._connection_error or {}
        err_code = error.get("code")
        log.info("detente seat: connection closed (%s %s; %s)", code, reason, err_code)
        if self._stopping():
            return None
        if code == 4000 or err_code == "seat_changed":
            # Control moved the seat (or the class started): a new view, at once.
            self._stateless = True
            return 0.05
        if (err_code == "bad_token" or (code == 1008 and reason == "bad token")) and not first:
            # The token worked before: Control revoked it (an agent's seat) or the game is gone.
            raise SeatClosedError(
                "the seat's token opens nothing any more (revoked by Control?): "
                f"{error.get('message') or reason}",
                code=as_code("bad_token"),
                close_code=code,
            )
        if (
            err_code in _FATAL_CONNECTION_CODES
            or code in _FATAL_CLOSE_CODES
            or (code == 1008 and reason in _FATAL_CLOSE_REASONS)
        ):
            raise SeatClosedError(
                f"the server closed the connection: {error.get('message') or reason}",
                code=as_code(err_code) if err_code else None,
                close_code=code,
            )
        if first and not welcomed and err_code != "unavailable":
            raise SeatClosedError(
                f"the server closed the connection before welcome ({code} {reason})",
                code=as_code(err_code) if err_code else None,
                close_code=code,
            )
        return None

    def _fail_first(self, err: BaseException) -> None:
        fut = self._first_welcome
        if fut is not None and not fut.done():
            fut.set_exception(err)
        raise SeatClosedError(f"cannot connect to {self.url}: {err}")

    def _on_disconnect(self) -> None:
        for pending in self._pending.values():
            pending.in_flight = False
        for reply in self._replies:
            if isinstance(reply, _Ping) and not reply.future.done():
                reply.future.set_exception(ConnectionError("the connection dropped"))
        self._replies.clear()

    def _finish(self, err: Optional[SeatClosedError]) -> None:
        """The seat is over: fail what waits, end the iterators."""
        if self._closed:
            return
        self._closed = True
        self._closing = True
        if err is not None:
            self._fatal = err
        fut = self._first_welcome
        if fut is not None and not fut.done():
            fut.set_exception(err or SeatClosedError("closed before the first welcome"))
        reason = err or SeatClosedError("the seat was closed")
        for pending in list(self._pending.values()):
            if pending.retry is not None:
                pending.retry.cancel()
            if not pending.future.done():
                pending.future.set_exception(reason)
                pending.future.exception()  # retrieved: no warning if nobody awaits it
        self._pending.clear()
        self._notify()

    # -- internals: frames ---------------------------------------------------------------------

    def _on_frame(self, frame: Json) -> None:
        kind = frame.get("type")
        if kind == "event":
            self._on_event(int(frame["seq"]), frame["event"])
        elif kind == "welcome":
            self._on_welcome(frame)
        elif kind == "ack":
            cid = str(frame["id"])
            pending = self._reply_for(cid)
            if pending is not None:
                del self._pending[cid]
                pending.future.set_result(int(frame["seq"]))
        elif kind == "error":
            self._on_error(frame)
        elif kind == "pong":
            self._on_pong()
        elif kind == "team":
            self.team = cast(List[Teammate], frame.get("members", []))
        elif kind == "class_welcome" and frame.get("role") == "teacher":
            raise SeatClosedError(
                "a teacher's token opens a class, not a seat: use a table's control_token",
                code=as_code("invalid"),
            )
        else:
            log.debug("detente seat: ignoring a %r frame", kind)

    def _on_welcome(self, frame: Json) -> None:
        view = frame.get("view")
        welcome = Welcome(
            game_id=str(frame["game_id"]),
            you=cast(SeatInfo, frame["you"]),
            seq=int(frame["seq"]),
            view=cast(Optional[SeatView], view),
        )
        if view is not None:
            self._stateless = False
            self._snapshot = cast(SeatView, view)
            self._view = cast(SeatView, copy.deepcopy(view))
            self._seq = welcome.seq
            self.stats.views += 1
            if self._want_labels and self._round_labels is None:
                self._spawn(self._load_round_labels())
        elif self._view is None:
            # Cannot happen (no last_seq without state), but never keep a stateless seat.
            log.warning("detente seat: a welcome without a view, and no state")
        else:
            self.stats.resumes += 1
        self._welcome = welcome
        self._connected = True
        self.stats.connections += 1
        self._feed.append(welcome)
        self._notify()
        fut = self._first_welcome
        if fut is not None and not fut.done():
            fut.set_result(welcome)
        if self._pending:
            self._spawn(self._send_all_pending())

    def _on_event(self, seq: int, event: Json) -> None:
        if seq <= self._seq:
            self.stats.duplicate_events += 1
            return
        if self._view is not None:
            fold(self._view, cast(SeatEvent, event), round_labels=self._round_labels)
        self._seq = seq
        self._feed.append(Event(seq, cast(SeatEvent, event)))
        self._notify()

    def _on_error(self, frame: Json) -> None:
        cid = frame.get("id")
        code = as_code(frame.get("code", "internal"))
        message = str(frame.get("message", ""))
        retryable = bool(frame.get("retryable", False))
        if cid is None:
            if code == "bad_frame" and self._replies:
                # The answer to the oldest unanswered frame (a command that did not parse).
                head = self._replies.popleft()
                if isinstance(head, str):
                    self._reject(head, CommandError(code, message, command_id=head))
                elif not head.future.done():
                    head.future.set_exception(CommandError(code, message))
                return
            self._connection_error = {"code": code, "message": message}
            if code not in ("seat_changed", "unavailable"):
                log.warning("detente seat: %s: %s", code, message)
            return
        cid = str(cid)
        pending = self._reply_for(cid)
        if pending is None:
            return
        if code == "unavailable":
            self.stats.unavailable += 1
            pending.attempts += 1
            delay = min(30.0, 2.0 ** (pending.attempts - 1)) * random.uniform(0.8, 1.2)
            log.info("detente seat: %s unavailable; again in %.1f s", cid, delay)
            assert self._loop is not None
            pending.retry = self._loop.call_later(
                delay, lambda: self._spawn(self._retry(pending))
            )
            return
        self._reject(cid, CommandError(code, message, retryable=retryable, command_id=cid))

    def _on_pong(self) -> None:
        for i, reply in enumerate(self._replies):
            if isinstance(reply, _Ping):
                del self._replies[i]
                if not reply.future.done() and self._loop is not None:
                    reply.future.set_result(self._loop.time() - reply.sent_at)
                return

    def _reply_for(self, cid: str) -> Optional[_Pending]:
        """The pending command ``cid`` answered now (it is in flight no more)."""
        if self._replies and self._replies[0] == cid:
            self._replies.popleft()
        else:
            try:
                self._replies.remove(cid)
            except ValueError:
                pass
        pending = self._pending.get(cid)
        if pending is None:
            return None
        pending.in_flight = False
        if pending.future.done():
            return None
        # Answered for good, unless it is 'unavailable' (the caller re-adds the retry).
        return pending

    def _reject(self, cid: str, err: CommandError) -> None:
        pending = self._pending.pop(cid, None)
        if pending is not None and not pending.future.done():
            pending.future.set_exception(err)

    def _forget(self, cid: str) -> None:
        pending = self._pending.pop(cid, None)
        if pending is None:
            return
        if pending.retry is not None:
            pending.retry.cancel()
        if not pending.future.done():
            pending.future.cancel()

    # -- internals: sending --------------------------------------------------------------------

    async def _throttle(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        self._tokens = min(self._burst, self._tokens + (now - self._tokens_at) * self._rate)
        self._tokens_at = now
        if self._tokens < 1.0:
            await asyncio.sleep((1.0 - self._tokens) / self._rate)
            now = self._loop.time()
            self._tokens = min(
                self._burst, self._tokens + (now - self._tokens_at) * self._rate
            )
            self._tokens_at = now
        self._tokens -= 1.0

    async def _send_command(self, pending: _Pending) -> None:
        assert self._send_lock is not None
        async with self._send_lock:
            ws = self._ws
            if (
                ws is None
                or not self._connected
                or pending.in_flight
                or pending.future.done()
                or self._pending.get(pending.id) is not pending
            ):
                return
            await self._throttle()
            if ws is not self._ws or not self._connected:
                return
            if pending.retry is not None:
                pending.retry.cancel()
                pending.retry = None
            pending.in_flight = True
            self._replies.append(pending.id)
            try:
                await ws.send(pending.frame)
            except ConnectionClosed:
                pending.in_flight = False  # sent again after the reconnection
                return
            self.stats.commands_sent += 1
            if pending.sends:
                self.stats.commands_resent += 1
            pending.sends += 1

    async def _send_all_pending(self) -> None:
        for pending in list(self._pending.values()):
            await self._send_command(pending)

    async def _retry(self, pending: _Pending) -> None:
        pending.retry = None
        await self._send_command(pending)

    # -- internals: plumbing -------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[Any]) -> None:
        assert self._loop is not None
        task = self._loop.create_task(cast(Any, coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stopping(self) -> bool:
        return self._closing

    def _notify(self) -> None:
        fut = self._changed
        if fut is None or self._loop is None:
            return
        self._changed = self._loop.create_future()
        if not fut.done():
            fut.set_result(None)

    async def _wait_change(self) -> None:
        fut = self._changed
        assert fut is not None, "connect() first"
        await asyncio.shield(fut)

    async def _dispatch(self) -> None:
        """Runs the callbacks, in order, for every welcome and event."""
        try:
            async for item in self._iterate(0, True):
                if isinstance(item, Welcome):
                    for on_welcome in list(self._welcome_callbacks):
                        await self._call(on_welcome, item)
                else:
                    for on_event in list(self._event_callbacks):
                        await self._call(on_event, item)
        except SeatClosedError:
            pass

    @staticmethod
    async def _call(callback: Callable[[Any], Optional[Awaitable[None]]], item: Any) -> None:
        try:
            result = callback(item)
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("detente seat: a callback failed")

    async def _load_round_labels(self) -> None:
        view = self._view
        if view is None:
            return
        try:
            infos = await self.client.scenarios(lang=view.get("language"))
        except (DetenteError, OSError, ValueError) as err:
            log.debug("detente seat: no round labels: %s", err)
            return
        for info in infos:
            if info["id"] == view["scenario"]:
                self._round_labels = list(info["rounds"])
                current = self._view
                if current is not None and 0 <= current["round"] < len(self._round_labels):
                    current["round_label"] = self._round_labels[current["round"]]
                return


def event_types(events: Sequence[Event]) -> List[str]:
    """The types of ``events``, e.g. for logs and assertions."""
    return [e.type for e in events]


__all__ = [
    "Event",
    "EventCallback",
    "Seat",
    "SeatStats",
    "Update",
    "Welcome",
    "WelcomeCallback",
    "event_types",
]
