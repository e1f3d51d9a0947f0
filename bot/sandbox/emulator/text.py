"""Text handling of the Telegram emulator: parse modes, entity clean-up and auto-detection.

Offsets and lengths are in UTF-16 code units, as in the Bot API. The parsers follow the
behaviour (and error texts) of Telegram's server-side parsers closely enough that markup the
emulator accepts is accepted by Telegram and vice versa.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Entity = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number",
        "bold", "italic", "underline", "strikethrough", "spoiler", "blockquote",
        "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip
# Entities whose meaning lives in an argument, so Telegram keeps them even over whitespace.
_HIDDEN_DATA = frozenset({"text_link", "text_mention", "custom_emoji"})
# Same-range tie-break used by Telegram when sorting entities (lower first).
_PRIORITY = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 11, "code": 20, "text_link": 49,
    "text_mention": 49, "custom_emoji": 51, "bold": 90, "italic": 91, "underline": 92,
    "strikethrough": 93, "spoiler": 94,
}  # fmt: skip


class EntityParseError(Exception):
    """Markup could not be parsed; str(exc) is Telegram's wording without the prefix."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def is_space(ch: str) -> bool:
    """Whitespace as Telegram's parsers see it."""
    return ch in " \t\r\n\v\f\0"


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def sort_entities(entities: list[Entity]) -> list[Entity]:
    """Sort like Telegram: by offset, longer first, then by type priority."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def check_link(url: str) -> str | None:
    """Normalise a link the way Telegram does, or return None if it is not a valid link."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    lower = url.lower()
    if re.match(r"^(tg|ton|tonsite):", lower):
        return lower.split(":", 1)[0] + url[url.index(":") :]
    if not re.match(r"^[a-z][a-z0-9+.-]*://", lower):
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host or not re.fullmatch(r"[\w.-]+", host) or host.startswith("."):
        return None
    if port is not None and not 0 < port < 65536:
        return None
    path = parts.path or "/"
    result = f"{parts.scheme.lower()}://{parts.netloc}{path}"
    if parts.query:
        result += "?" + parts.query
    if parts.fragment:
        result += "#" + parts.fragment
    return result


def link_entity(
    offset: int, length: int, url: str, lookup_user: Callable[[int], dict[str, Any] | None]
) -> Entity | None:
    match = re.fullmatch(r"tg://user\?id=(\d+)", url.strip(), re.IGNORECASE)
    if match:
        user = lookup_user(int(match.group(1)))
        if user is None:
            return None
        return {"type": "text_mention", "offset": offset, "length": length, "user": user}
    checked = check_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


def no_user(_: int) -> dict[str, Any] | None:
    return None


# --------------------------------------------------------------------------- clean-up


_REMOVED_CHARS = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")


def fix_text(text: str, entities: list[Entity], *, detect: bool = True) -> tuple[str, list[Entity]]:
    """Clean text and entities like Telegram: control characters, trimming, empty entities.

    Returns the cleaned text (possibly empty) and sorted entities, with auto-detected
    entities (URLs, mentions, commands, ...) merged in when ``detect`` is set.
    """
    total = utf16_len(text)
    for entity in entities:
        if entity["offset"] + entity["length"] > total:
            if entity["offset"] > total:
                raise EntityParseError(
                    f"Entity begins after the end of the text at UTF-16 offset {entity['offset']}"
                )
            raise EntityParseError(
                f"Entity beginning at UTF-16 offset {entity['offset']} ends after the end of "
                f"the text at UTF-16 offset {entity['offset'] + entity['length']}"
            )
    entities = [dict(e) for e in entities if e["length"] > 0]
    chars: list[str] = []
    removed: list[tuple[int, int]] = []  # (UTF-16 position, width) of dropped characters
    pos = 0
    for ch in text:
        if ch in _REMOVED_CHARS:
            removed.append((pos, u16(ch)))
        else:
            chars.append(" " if ord(ch) < 32 and ch != "\n" else ch)
        pos += u16(ch)
    if removed:
        for entity in entities:
            end = entity["offset"] + entity["length"]
            entity["offset"] -= sum(w for p, w in removed if p < entity["offset"])
            entity["length"] = end - sum(w for p, w in removed if p < end) - entity["offset"]
        entities = [e for e in entities if e["length"] > 0]
    # Entities may not start with whitespace and may not consist of whitespace only.
    offsets = _offsets(chars)
    for entity in entities:
        if entity["type"] in _HIDDEN_DATA:
            continue
        while entity["length"] > 0 and _char_at(chars, offsets, entity["offset"]) in (" ", "\n"):
            entity["offset"] += 1
            entity["length"] -= 1
    entities = [e for e in entities if e["length"] > 0]
    # Telegram trims the end completely but the start only up to the first entity.
    while chars and chars[-1] in (" ", "\n"):
        chars.pop()
    end = utf16_len("".join(chars))
    kept: list[Entity] = []
    for entity in entities:
        if entity["offset"] >= end:
            continue
        entity["length"] = min(entity["length"], end - entity["offset"])
        kept.append(entity)
    first = min((e["offset"] for e in kept), default=end)
    lead = 0
    while lead < len(chars) and lead < first and chars[lead] in (" ", "\n"):
        lead += 1
    for entity in kept:
        entity["offset"] -= lead
    result = "".join(chars[lead:])
    if detect and result:
        kept = merge_detected(result, kept)
    return result, sort_entities(kept)


def _offsets(chars: list[str]) -> dict[int, int]:
    result: dict[int, int] = {}
    pos = 0
    for index, ch in enumerate(chars):
        result[pos] = index
        pos += u16(ch)
    return result


def _char_at(chars: list[str], offsets: dict[int, int], pos: int) -> str:
    index = offsets.get(pos)
    return chars[index] if index is not None else ""


# --------------------------------------------------------------------------- auto-detection

_COMMON_TLDS = (
    "com|org|net|nl|eu|be|de|fr|uk|io|info|app|dev|gov|edu|me|co|ai|ly|tv|us|int|nu|online|site"
)
_DETECTORS: list[tuple[str, re.Pattern[str]]] = [
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,24}\b")),
    (
        "url",
        re.compile(
            r"(?<![\w@/.-])(?:(?:https?|ftp|tg)://[^\s<>\"]+"
            r"|www\.[\w-]+(?:\.[\w-]+)+[^\s<>\"]*"
            rf"|(?:[\w-]+\.)+(?:{_COMMON_TLDS})\b(?::\d{{1,5}})?(?:[/?#][^\s<>\"]*)?)",
            re.IGNORECASE,
        ),
    ),
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])"),
    ),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{5,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w])")),
]
# Auto-detected entities are dropped where they would overlap one of these.
_CONTINUOUS_BLOCKERS = frozenset(
    {"code", "pre", "text_link", "text_mention", "custom_emoji", "url", "email", "mention",
     "hashtag", "cashtag", "bot_command", "phone_number"}
)  # fmt: skip


def detect_entities(text: str) -> list[Entity]:
    """Entities Telegram would find by itself (URLs, e-mails, commands, mentions, hashtags)."""
    units = [0]
    for ch in text:
        units.append(units[-1] + u16(ch))
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTORS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in ".,;:!?'\")]}":
                    end -= 1
            if end <= start or any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append(
                {"type": kind, "offset": units[start], "length": units[end] - units[start]}
            )
    return found


def merge_detected(text: str, entities: list[Entity]) -> list[Entity]:
    """Add auto-detected entities that do not collide with continuous user entities."""
    blockers = [
        (e["offset"], e["offset"] + e["length"])
        for e in entities
        if e["type"] in _CONTINUOUS_BLOCKERS
    ]
    merged = list(entities)
    for entity in detect_entities(text):
        start, end = entity["offset"], entity["offset"] + entity["length"]
        if not any(s < end and start < e for s, e in blockers):
            merged.append(entity)
    return merged


def validate_entities(
    raw: Any, lookup_user: Callable[[int], dict[str, Any] | None]
) -> list[Entity]:
    """Check a user-supplied ``entities`` array and return a clean copy."""
    if not isinstance(raw, list):
        raise EntityParseError("can't parse entities JSON object")
    result: list[Entity] = []
    for item in raw:
        if not isinstance(item, dict):
            raise EntityParseError("can't parse MessageEntity: expected an Object")
        kind = item.get("type")
        if kind not in ENTITY_TYPES:
            raise EntityParseError("can't parse MessageEntity: Unsupported type specified")
        try:
            offset, length = int(item["offset"]), int(item["length"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EntityParseError(
                'can\'t parse MessageEntity: Field "offset" must be of type Number'
            ) from exc
        if offset < 0 or length < 0:
            raise EntityParseError(f"Receive an entity with incorrect offset {offset}")
        entity: Entity = {"type": kind, "offset": offset, "length": length}
        if kind == "text_link":
            url = check_link(str(item.get("url", "")))
            if url is None:
                raise EntityParseError("Wrong HTTP URL")
            entity["url"] = url
        elif kind == "text_mention":
            user_id = (item.get("user") or {}).get("id")
            user = lookup_user(int(user_id)) if user_id is not None else None
            if user is None:
                raise EntityParseError("can't find the user mentioned")
            entity["user"] = user
        elif kind == "pre" and item.get("language"):
            entity["language"] = str(item["language"])
        elif kind == "custom_emoji":
            entity["custom_emoji_id"] = str(item.get("custom_emoji_id", ""))
        result.append(entity)
    return sort_entities(result)
