"""Telegram's HTML parse mode for the emulator (same rules and error texts as the server)."""

from __future__ import annotations

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

_HTML_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
     "span", "pre", "code", "blockquote"}
)  # fmt: skip
_HTML_SIMPLE = {
    "i": "italic", "em": "italic", "b": "bold", "strong": "bold", "s": "strikethrough",
    "strike": "strikethrough", "del": "strikethrough", "u": "underline", "ins": "underline",
    "tg-spoiler": "spoiler",
}  # fmt: skip


def _decode_html_entity(text: str, pos: int) -> tuple[int, int] | None:
    """Decode ``&...;`` at ``pos``; returns (code point, position after it) or None."""
    n = len(text)
    end = pos + 1
    code = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and "0" <= text[end] <= "9":
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(text[pos + 1 : end])
        if named is None:
            return None
        code = ord(named)
    if end < n and text[end] == ";":
        end += 1
    return code, end


def parse_html(
    text: str, lookup_user: Callable[[int], dict[str, Any] | None] = no_user
) -> tuple[str, list[Entity]]:
    """Parse Telegram's HTML subset into (plain text, entities)."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    out: list[str] = []
    out_len = 0  # characters in ``out``
    entities: list[Entity] = []
    stack: list[dict[str, Any]] = []
    offset = 0
    has_surrogate = False
    i = 0
    while i < n:
        ch = text[i]
        if ch == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                code, i = decoded
                has_surrogate = has_surrogate or 0xD800 <= code <= 0xDFFF
                out.append(chr(code))
                out_len += 1
                offset += 2 if code > 0xFFFF else 1
                continue
        if ch != "<":
            out.append(ch)
            out_len += 1
            offset += u16(ch)
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while not is_space(at(i)) and at(i) != ">":
                i += 1
            if i >= n:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {byte_offset(text, begin)}"
                )
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(text, begin)}'
                )
            argument = ""
            expandable = False
            while at(i) != ">":
                while i < n and is_space(at(i)):
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while not is_space(at(i)) and at(i) != "=" and at(i) != ">":
                    i += 1
                attr = text[attr_begin:i]
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(text, begin)}"
                    )
                while i < n and is_space(at(i)):
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr.lower() == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and is_space(at(i)):
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(text, begin)}'
                    )
                if at(i) not in "'\"":
                    token_begin = i
                    while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not is_space(at(i)) and at(i) != ">":
                        raise EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                chars.append(chr(decoded[0]))
                                i = decoded[1]
                                continue
                        chars.append(text[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {byte_offset(text, begin)}"
                    )
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{byte_offset(text, begin)}"
                )
            stack.append(
                {"tag": tag, "arg": argument, "offset": offset, "start": out_len,
                 "expandable": expandable}
            )  # fmt: skip
            i += 1
            continue
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(text, begin)}")
        while not is_space(at(i)) and at(i) != ">":
            i += 1
        end_tag = text[begin + 2 : i].lower()
        while i < n and is_space(at(i)):
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(text, begin)}")
        i += 1
        top = stack.pop()
        tag = top["tag"]
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_tag}>"'
            )
        if offset <= top["offset"]:
            continue
        start, length = top["offset"], offset - top["offset"]
        if tag in _HTML_SIMPLE or tag == "span":
            entities.append({"type": _HTML_SIMPLE.get(tag, "spoiler"), "offset": start,
                             "length": length})  # fmt: skip
        elif tag == "tg-emoji":
            if not top["arg"].isdigit() or int(top["arg"]) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entities.append(
                {"type": "custom_emoji", "offset": start, "length": length,
                 "custom_emoji_id": top["arg"]}
            )  # fmt: skip
        elif tag == "a":
            url = top["arg"] or "".join(out[top["start"] :])
            link = link_entity(start, length, url, lookup_user)
            if link is not None:
                entities.append(link)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and (last["offset"], last["length"]) == (start, length)
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": start, "length": length})
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and (last["offset"], last["length"]) == (start, length)
                and top["arg"]
            ):
                last["language"] = top["arg"]
            else:
                entity: Entity = {"type": "code", "offset": start, "length": length}
                if top["arg"]:
                    entity["language"] = top["arg"]
                entities.append(entity)
        else:
            kind = "expandable_blockquote" if top["expandable"] else "blockquote"
            entities.append({"type": kind, "offset": start, "length": length})
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"'
        )
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    if has_surrogate:
        raise EntityParseError(
            "Text contains invalid Unicode characters after decoding HTML entities, "
            "check for unmatched surrogate code units"
        )
    return "".join(out), sort_entities(entities)
