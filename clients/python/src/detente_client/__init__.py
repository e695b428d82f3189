"""A Python client for the Détente game server: create and join games over HTTP, play a seat
over the WebSocket with typed events, idempotent commands and transparent reconnection.

See clients/python/README.md for a tutorial and docs/protocol.md for the protocol."""

from .errors import ApiError, CommandError, DetenteError, SeatClosedError
from .fold import fold
from .http import AgentSeat, Client, Created, Joined, websocket_url
from .seat import Event, Seat, SeatStats, Update, Welcome
from .types import (
    Agent,
    Channel,
    Command,
    CreateGame,
    ErrorCode,
    HeldMessage,
    Message,
    Phase,
    SeatEvent,
    SeatInfo,
    SeatView,
    Summary,
    Terms,
)

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AgentSeat",
    "ApiError",
    "Channel",
    "Client",
    "Command",
    "CommandError",
    "CreateGame",
    "Created",
    "DetenteError",
    "ErrorCode",
    "Event",
    "HeldMessage",
    "Joined",
    "Message",
    "Phase",
    "Seat",
    "SeatClosedError",
    "SeatEvent",
    "SeatInfo",
    "SeatStats",
    "SeatView",
    "Summary",
    "Terms",
    "Update",
    "Welcome",
    "fold",
    "websocket_url",
    "__version__",
]
