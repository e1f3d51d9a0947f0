"""How a Bot API method answers: a result (some with a description) or an ApiError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ApiError(Exception):
    """A Bot API error; rendered as ``{"ok": false, "error_code", "description", ...}``."""

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram would answer with."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """400 with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    """403 with Telegram's "Forbidden: " prefix."""
    return ApiError(403, f"Forbidden: {message}")


@dataclass
class Described:
    """A successful result that Telegram accompanies with a ``description``."""

    result: Any
    description: str


def success_body(result: Any) -> dict[str, Any]:
    """The JSON body of a successful call."""
    if isinstance(result, Described):
        return {"ok": True, "result": result.result, "description": result.description}
    return {"ok": True, "result": result}
