"""Telegram's MarkdownV2 and legacy Markdown parse modes for the emulator."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.sandbox.emulator.text import (
    Entity,
    EntityParseError,
    byte_offset,
    is_space,
    link_entity,
    no_user,
    sort_entities,
    u16,
)

# --------------------------------------------------------------------------- MarkdownV2

_MDV2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "code": "Code", "pre": "Pre", "pre_code": "PreCode",
    "text_link": "TextUrl", "custom_emoji": "CustomEmoji", "blockquote": "BlockQuote",
}  # fmt: skip


def _reserved(char: str) -> EntityParseError:
    return EntityParseError(f"Character '{char}' is reserved and must be escaped with the "
                            "preceding '\\'")  # fmt: skip


def parse_markdown_v2(
    text: str, lookup_user: Callable[[int], dict[str, Any] | None] = no_user
) -> tuple[str, list[Entity]]:
    """Parse Telegram's MarkdownV2 into (plain text, entities)."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    out: list[str] = []
    entities: list[Entity] = []
    stack: list[dict[str, Any]] = []
    offset = 0
    have_quote = False
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\" and 0 < ord(at(i + 1)) <= 126:
            i += 1
            out.append(text[i])
            offset += 1
            i += 1
            continue
        reserved = "_*[]()~`>#+-=|{}.!\n"
        if stack and stack[-1]["type"] in ("code", "pre", "pre_code"):
            reserved = "`"
        if ch not in reserved:
            out.append(ch)
            offset += u16(ch)
            i += 1
            continue
        is_end = False
        if stack:
            top_type = stack[-1]["type"]
            if have_quote and ch == "\n" and at(i + 1) != ">":
                is_end = True
            else:
                is_end = {
                    "bold": ch == "*",
                    "italic": ch == "_" and at(i + 1) != "_",
                    "code": ch == "`",
                    "pre": ch == "`" and at(i + 1) == "`" and at(i + 2) == "`",
                    "pre_code": ch == "`" and at(i + 1) == "`" and at(i + 2) == "`",
                    "text_link": ch == "]",
                    "underline": ch == "_" and at(i + 1) == "_",
                    "strikethrough": ch == "~",
                    "spoiler": ch == "|" and at(i + 1) == "|",
                    "custom_emoji": ch == "]",
                    "blockquote": False,
                }[top_type]
        if not is_end:
            kind: str | None
            argument = ""
            entity_byte = byte_offset(text, i)
            if ch == "_":
                kind = "italic"
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
            elif ch == "*":
                kind = "bold"
            elif ch == "~":
                kind = "strikethrough"
            elif ch == "|":
                if at(i + 1) != "|":
                    raise _reserved(ch)
                i += 1
                kind = "spoiler"
            elif ch == "[":
                kind = "text_link"
            elif ch == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while not is_space(at(lang_end)) and at(lang_end) != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and at(lang_end) != "`":
                        kind = "pre_code"
                        argument = text[i:lang_end]
                        i = lang_end
                    if at(i) in "\r\n" and i < n:
                        i += 2 if at(i + 1) in "\r\n" and at(i + 1) != at(i) else 1
                    i -= 1
                else:
                    kind = "code"
            elif ch == "!":
                if at(i + 1) != "[":
                    raise _reserved(ch)
                i += 1
                kind = "custom_emoji"
            elif ch == "\n":
                out.append("\n")
                offset += 1
                kind = None
                if at(i + 1) == ">":
                    i += 1
                    if not have_quote:
                        kind = "blockquote"
                        have_quote = True
            elif ch == ">" and i == 0:
                kind = "blockquote"
                have_quote = True
            else:
                raise _reserved(ch)
            i += 1
            if kind is not None:
                stack.append({"type": kind, "arg": argument, "offset": offset,
                              "byte": entity_byte, "start": len(out)})  # fmt: skip
            continue
        top = stack[-1]
        kind = str(top["type"])
        if ch == "\n" and kind != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {top['byte']}"
            )
        skip = offset == top["offset"]
        new_entity: Entity | None = None
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind in ("text_link", "custom_emoji"):
            if at(i + 1) != "(":
                if kind == "custom_emoji":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                url = "".join(out[top["start"] :])
            else:
                i += 2
                url_begin = i
                chars: list[str] = []
                while i < n and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(at(i + 1)) <= 126:
                        chars.append(text[i + 1])
                        i += 2
                        continue
                    chars.append(text[i])
                    i += 1
                if at(i) != ")":
                    what = "a custom emoji URL" if kind == "custom_emoji" else "a URL"
                    raise EntityParseError(
                        f"Can't find end of {what} at byte offset {byte_offset(text, url_begin)}"
                    )
                url = "".join(chars)
            if kind == "custom_emoji":
                match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if not match:
                    raise EntityParseError("Custom emoji URL must have an emoji identifier")
                new_entity = {"type": "custom_emoji", "custom_emoji_id": match.group(1)}
            else:
                new_entity = link_entity(0, 0, url, lookup_user)
                skip = skip or new_entity is None
        elif kind == "blockquote":
            have_quote = False
            out.append(text[i])
            offset += 1
        if not skip:
            entity = new_entity or {"type": "pre" if kind == "pre_code" else kind}
            entity["offset"] = top["offset"]
            entity["length"] = offset - top["offset"]
            if kind == "pre_code":
                entity["language"] = top["arg"]
            entities.append({"type": entity.pop("type"), **entity})
        stack.pop()
        i += 1
    if have_quote and stack and stack[-1]["type"] == "blockquote":
        top = stack.pop()
        if offset != top["offset"]:
            entities.append({"type": "blockquote", "offset": top["offset"],
                             "length": offset - top["offset"]})  # fmt: skip
    if stack:
        top = stack[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[top['type']]} entity at byte offset {top['byte']}"
        )
    return "".join(out), sort_entities(entities)


# --------------------------------------------------------------------------- Markdown (legacy)


def parse_markdown(
    text: str, lookup_user: Callable[[int], dict[str, Any] | None] = no_user
) -> tuple[str, list[Entity]]:
    """Parse Telegram's legacy Markdown into (plain text, entities)."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    out: list[str] = []
    entities: list[Entity] = []
    offset = 0
    i = 0
    while i < n:
        ch = text[i]
        if ch == "\\" and at(i + 1) in "_*`[":
            out.append(text[i + 1])
            offset += 1
            i += 2
            continue
        if ch not in "_*`[":
            out.append(ch)
            offset += u16(ch)
            i += 1
            continue
        begin = i
        end_char = "]" if ch == "[" else ch
        is_pre = False
        language = ""
        if ch == "`" and at(i + 1) == "`" and at(i + 2) == "`":
            i += 3
            is_pre = True
            lang_end = i
            while not is_space(at(lang_end)) and at(lang_end) != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and at(lang_end) != "`":
                language = text[i:lang_end]
                i = lang_end
            if i < n and at(i) in "\r\n":
                i += 2 if at(i + 1) in "\r\n" and at(i + 1) != at(i) else 1
        else:
            i += 1
        start = offset
        inner_start = len(out)
        while i < n and (
            text[i] != end_char or (is_pre and not (at(i + 1) == "`" and at(i + 2) == "`"))
        ):
            out.append(text[i])
            offset += u16(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
            )
        if offset != start:
            length = offset - start
            if ch == "_":
                entities.append({"type": "italic", "offset": start, "length": length})
            elif ch == "*":
                entities.append({"type": "bold", "offset": start, "length": length})
            elif ch == "[":
                if at(i + 1) != "(":
                    url = "".join(out[inner_start:])
                else:
                    i += 2
                    url_chars: list[str] = []
                    while i < n and text[i] != ")":
                        url_chars.append(text[i])
                        i += 1
                    url = "".join(url_chars)
                link = link_entity(start, length, url, lookup_user)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                entity: Entity = {"type": "pre", "offset": start, "length": length}
                if language:
                    entity["language"] = language
                entities.append(entity)
            else:
                entities.append({"type": "code", "offset": start, "length": length})
        if is_pre:
            i += 2
        i += 1
    return "".join(out), sort_entities(entities)
