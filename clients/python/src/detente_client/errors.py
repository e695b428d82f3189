"""Errors raised by the client. Each carries the server's stable ``code`` (§8 of
docs/protocol.md) where the server gave one: branch on the code, show the message."""

from __future__ import annotations

from typing import Optional, cast

from .types import ErrorCode


class DetenteError(Exception):
    """Base class of every error this library raises on purpose."""


class ApiError(DetenteError):
    """An HTTP call was answered with an error status (§2).

    ``code`` is the body's stable code (``"unknown_code"``, ``"team_full"``, …). A response
    that is not the API's JSON error form (a proxy's page, say) gets the code ``"internal"``
    and its status; its text is in ``message``.
    """

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code: ErrorCode = code
        self.message = message

    @property
    def retryable(self) -> bool:
        """Whether the same request may succeed later (``unavailable``, ``rate_limited``)."""
        return self.code in ("unavailable", "rate_limited")


class CommandError(DetenteError):
    """The server refused a command (an ``error`` frame with the command's id): nothing
    changed. Final for that id: to try again after the situation changed, send the command
    with a new id (the library does that for a call to ``Seat.command`` without ``id=``).

    ``unavailable`` is never raised here while the seat retries it (it retries with the same
    id until it is answered or the call's timeout runs out).
    """

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retryable: bool = False,
        command_id: Optional[str] = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code: ErrorCode = code
        self.message = message
        self.retryable = retryable
        self.command_id = command_id


class SeatClosedError(DetenteError):
    """The seat's connection ended for good: closed by the program, or by the server for a
    reason a reconnect cannot fix (``bad_token``: join again, or Control revoked the seat of
    an agent; ``too_many_connections``; a protocol error of the client). Commands still
    unanswered fail with it.

    ``code`` is the server's error code when it sent one (``"bad_token"``), else ``None``;
    ``close_code`` the WebSocket close code when there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        code: Optional[ErrorCode] = None,
        close_code: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.close_code = close_code
        self.message = message


def as_code(value: object) -> ErrorCode:
    """The server's code as :data:`ErrorCode` (a code from a newer server is kept as is)."""
    return cast(ErrorCode, str(value))
