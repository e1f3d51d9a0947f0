"""Reply markup: validating inline and reply keyboards as Telegram does."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.text import check_link

_INLINE_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = [name for name in _INLINE_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    result: dict[str, Any] = {"text": text}
    for name in actions:
        value = button[name]
        if name == "callback_data":
            value = str(value)
            if not 1 <= len(value.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        elif name == "url":
            checked = check_link(str(value))
            if checked is None:
                raise bad_request("BUTTON_URL_INVALID")
            value = checked
        result[name] = value
    if "style" in button:
        result["style"] = button["style"]
    return result


def _rows(markup: dict[str, Any], field: str, kind: str) -> list[Any]:
    rows = markup.get(field)
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f'field "{field}" of the {kind} must be an Array of Arrays')
    return rows


def parse_reply_markup(raw: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Validate reply_markup; returns (inline markup for the Message, non-inline markup)."""
    if raw in (None, ""):
        return None, None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise bad_request("can't parse reply keyboard markup JSON object") from exc
    if not isinstance(raw, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in raw:
        rows = [
            [_inline_button(button) for button in row]
            for row in _rows(raw, "inline_keyboard", "InlineKeyboardMarkup")
        ]
        rows = [row for row in rows if row]
        return ({"inline_keyboard": rows} if rows else None), None
    if "keyboard" in raw:
        keyboard: list[list[dict[str, Any]]] = []
        for row in _rows(raw, "keyboard", "ReplyKeyboardMarkup"):
            buttons: list[dict[str, Any]] = []
            for button in row:
                if isinstance(button, str):
                    button = {"text": button}
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
                buttons.append(dict(button))
            if buttons:
                keyboard.append(buttons)
        return None, {**raw, "keyboard": keyboard}
    if raw.get("remove_keyboard") or raw.get("force_reply"):
        return None, dict(raw)
    raise bad_request("can't parse reply keyboard markup JSON object")


def inline_only(raw: Any) -> dict[str, Any] | None:
    """reply_markup of edit methods: only inline keyboards are allowed."""
    inline, other = parse_reply_markup(raw)
    if other is not None:
        raise bad_request("inline keyboard expected")
    return inline


def callback_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """All inline buttons of a message that carry callback_data."""
    markup = message.get("reply_markup") or {}
    return [
        button
        for row in markup.get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]
