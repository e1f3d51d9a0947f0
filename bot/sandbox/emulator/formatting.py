"""Formatted text of a Bot API call: parse_mode or entities, Telegram's clean-up, limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.sandbox.emulator.answers import bad_request
from bot.sandbox.emulator.html_mode import parse_html
from bot.sandbox.emulator.markdown_mode import parse_markdown, parse_markdown_v2
from bot.sandbox.emulator.text import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    Entity,
    EntityParseError,
    fix_text,
    utf16_len,
    validate_entities,
)

PARSERS = {"html": parse_html, "markdownv2": parse_markdown_v2, "markdown": parse_markdown}


def format_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    lookup_user: Callable[[int], dict[str, Any] | None],
    caption: bool = False,
) -> tuple[str, list[Entity]]:
    """Apply parse_mode/entities and Telegram's clean-up; enforce the length limit."""
    text = text or ""
    try:
        if entities not in (None, "", []):
            parsed = validate_entities(entities, lookup_user)
        elif parse_mode:
            parser = PARSERS.get(parse_mode.lower())
            if parser is None:
                raise bad_request("unsupported parse_mode")
            text, parsed = parser(text, lookup_user)
        else:
            parsed = []
        text, parsed = fix_text(text, parsed)
    except EntityParseError as exc:
        raise bad_request(f"can't parse entities: {exc}") from exc
    if caption and utf16_len(text) > MAX_CAPTION_LENGTH:
        raise bad_request("message caption is too long")
    if not caption and utf16_len(text) > MAX_TEXT_LENGTH:
        raise bad_request("message is too long")
    return text, parsed
