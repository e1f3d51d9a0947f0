"""Bot API request parameters: reading a request, decoding form values, typed access."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.emulator.answers import bad_request


@dataclass
class Upload:
    """A file sent as a multipart part."""

    filename: str | None
    content_type: str | None
    data: bytes


# Parameters PTB (and other clients) send JSON-encoded inside form data.
JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
        "reply_parameters", "link_preview_options", "menu_button", "media", "results",
        "reaction", "permissions", "rights", "message_ids", "explanation_entities", "options",
    }
)  # fmt: skip
INT_FIELDS = frozenset(
    {
        "chat_id", "from_chat_id", "message_id", "user_id", "offset", "limit", "timeout",
        "duration", "width", "height", "reply_to_message_id", "message_thread_id",
        "max_connections", "cache_time", "until_date", "length",
    }
)  # fmt: skip
BOOL_FIELDS = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
        "allow_sending_without_reply", "disable_web_page_preview", "has_spoiler",
        "disable_content_type_detection", "is_personal", "remove_caption",
        "show_caption_above_media", "allow_paid_broadcast", "for_channels", "is_big",
    }
)  # fmt: skip
_JSON_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
}
_INT_RE = re.compile(r"^-?\d+$")


def normalize_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Decode form strings into the values a JSON client would have sent."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, Upload):
            params[name] = value
        elif name in JSON_FIELDS and isinstance(value, str):
            try:
                params[name] = json.loads(value)
            except ValueError as exc:
                message = _JSON_ERRORS.get(name, f"can't parse {name} JSON object")
                raise bad_request(message) from exc
        elif name in INT_FIELDS and isinstance(value, str) and _INT_RE.match(value.strip()):
            params[name] = int(value.strip())
        elif name in BOOL_FIELDS and isinstance(value, str):
            params[name] = value.strip().lower() in ("true", "1", "yes", "on")
        else:
            params[name] = value
    return params


async def read_request(request: web.Request) -> dict[str, Any]:
    """Collect query, JSON, urlencoded and multipart parameters (files become ``Upload``)."""
    raw: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return normalize_params(raw)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON object") from exc
        if body is not None:
            if not isinstance(body, dict):
                raise bad_request("JSON object expected")
            raw.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                raw[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                raw[name] = value
    return normalize_params(raw)


class Params:
    """Typed, lenient access to normalised request parameters."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        """Present and not an empty string (Telegram treats "" as absent)."""
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, Upload):
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value.strip())
        raise bad_request(f"invalid {name} specified")

    def get_float(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def get_obj(self, name: str) -> dict[str, Any] | None:
        value = self.values.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise bad_request(
                    _JSON_ERRORS.get(name, f"can't parse {name} JSON object")
                ) from exc
        if not isinstance(value, dict):
            raise bad_request(_JSON_ERRORS.get(name, f"can't parse {name} JSON object"))
        return value

    def get_list(self, name: str) -> list[Any] | None:
        value = self.values.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            if value == "":
                return []
            try:
                value = json.loads(value)
            except ValueError as exc:
                raise bad_request(
                    _JSON_ERRORS.get(name, f"can't parse {name} JSON object")
                ) from exc
        if not isinstance(value, list):
            raise bad_request(_JSON_ERRORS.get(name, f"can't parse {name} JSON object"))
        return value


def printable_params(values: dict[str, Any]) -> dict[str, Any]:
    """Params as recorded in ``Emulator.calls``: uploads shown as a small description."""
    result: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Upload):
            result[name] = {"upload": value.filename, "size": len(value.data)}
        else:
            result[name] = value
    return result
