"""The name normaliser (bot/host/names.py): what any typed name becomes before it is
stored and shown in other people's messages."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.host.names import MAX_MARKS, MAX_NAME, ZWNJ, changed, normalise_name, usable

# Anything at all, weighted towards the characters that make trouble.
TROUBLE = st.sampled_from(
    [
        "\r",
        "\n",
        "\r\n",
        "\x00",
        "\t",
        "\x1b",
        "\x85",
        "\u2028",
        "\u2029",
        "\u00a0",
        "\u200b",
        ZWNJ,
        "\u200d",
        "\u200e",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\U000e0041",
        "\ud800",
        "\ue000",
        "\u0301",
        "\u0651",
        "e\u0301",
        "—",
        " ",
        "  ",
        "ب",
        "م",
        "Ç",
        "ሰ",
        "😊",
        "👨\u200d👩\u200d👧",
    ]
)
TEXT = st.lists(st.one_of(st.text(max_size=5), TROUBLE), max_size=40).map("".join)


def _allowed(name: str, i: int, char: str) -> bool:
    if char == ZWNJ:
        return 0 < i < len(name) - 1
    return unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


@given(TEXT)
@example("ok\r\nfake line")
@example("\u202eevil")
@example("a" * 100)
@example("ب" + ZWNJ * 3 + "ب")
def test_a_normalised_name_is_safe(typed: str) -> None:
    name = normalise_name(typed)
    assert len(name) <= MAX_NAME
    assert name == unicodedata.normalize("NFC", name)
    assert name == name.strip()
    assert "  " not in name
    assert all(c == " " or not c.isspace() for c in name)
    assert all(_allowed(name, i, c) for i, c in enumerate(name)), ascii(name)


@given(TEXT)
def test_normalising_twice_changes_nothing(typed: str) -> None:
    once = normalise_name(typed)
    assert normalise_name(once) == once
    assert not changed(once, once)


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll", "Lo", "Nd"]), max_size=MAX_NAME))
def test_plain_names_stay_as_they_are(typed: str) -> None:
    typed = unicodedata.normalize("NFC", typed)[:MAX_NAME]
    assert normalise_name(typed) == typed
    assert not changed(typed, normalise_name(typed))


@given(TEXT)
def test_no_letter_carries_more_than_a_few_marks(typed: str) -> None:
    run = 0
    for char in normalise_name(typed):
        run = run + 1 if unicodedata.category(char).startswith("M") else 0
        assert run <= MAX_MARKS


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ok\r\nfake line", "ok fake line"),
        ("  Sara  ", "Sara"),
        ("Ali\tReza", "Ali Reza"),
        ("Zoë\u2028Smit", "Zoë Smit"),
        ("Zoe\u0308", "Zoë"),  # NFC
        ("Sa\u200bra", "Sara"),  # zero-width space
        ("\u202eaxeL", "axeL"),  # right-to-left override
        ("Sa\u200cra", "Sara"),  # a non-joiner between Latin letters does nothing
        ("مهر\u200cنوش", "مهر\u200cنوش"),  # Persian needs it
        ("\u0301Ana", "Ana"),  # a mark with nothing to sit on
        ("x" * 60, "x" * MAX_NAME),
        ("Jan \u0000 Piet", "Jan Piet"),
    ],
)
def test_examples(typed: str, stored: str) -> None:
    assert normalise_name(typed) == stored


def test_what_counts_as_changed_and_usable() -> None:
    assert not changed(" Sara\n", "Sara")  # spaces around it are not worth a note
    assert not changed("Zoe\u0308", "Zoë")  # neither is an invisible recomposition
    assert changed("ok\r\nfake line", "ok fake line")
    assert usable("Sara") and usable("7")
    assert not usable("") and not usable("—") and not usable("😊")
