"""Numbers as people type them: in any script's digits, not only 0–9.

A participant writing Persian or Arabic types ``۷`` or ``٧`` for 7, ``۱۰`` or ``١٠``
for 10; a phone may add an invisible direction mark around them. Every Unicode decimal
digit (category Nd: Persian, Arabic-Indic, Devanagari, full-width, …) counts with its
value. Only whole numbers: ``٧٫٥`` (7.5) and thousands separators are not read.

Example: ``read_integer(" ۱۰\u200f")`` → 10; ``read_integer("7.5")`` → None.
"""

from __future__ import annotations

import unicodedata

MAX_DIGITS = 15  # longer is not a number anyone answers with
SIGNS = {"+": 1, "-": -1, "\u2212": -1}  # U+2212 is the minus sign


def read_integer(text: str) -> int | None:
    """The whole number typed in `text` (any script's digits, optional sign), or None."""
    # Direction marks and other invisible format characters (category Cf) carry no value.
    cleaned = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip()
    sign = SIGNS.get(cleaned[:1])
    digits = cleaned[1:] if sign is not None else cleaned
    if not digits or len(digits) > MAX_DIGITS or not all(ch.isdecimal() for ch in digits):
        return None
    value = 0
    for ch in digits:
        value = value * 10 + unicodedata.decimal(ch)
    return (sign or 1) * value
