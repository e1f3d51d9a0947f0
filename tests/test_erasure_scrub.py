"""How erasure finds a person in stored JSON (storage/erasure.py `Identity`)."""

from __future__ import annotations

from storage.erasure import ERASED, OTHER, Identity

ZOE = Identity("Zoë", 7_395_184_260)


def test_the_name_is_found_as_a_word_in_any_case() -> None:
    state = {"options": [["2", None, "Zoë"], ["3", None, "Zoëlla"]], "text": "hoi zoë!"}
    assert ZOE.scrub(state) == {
        "options": [["2", None, ERASED], ["3", None, "Zoëlla"]],
        "text": f"hoi {ERASED}!",
    }


def test_the_messenger_id_is_found_as_a_number_or_as_text() -> None:
    payload = {"from_chat_id": 7_395_184_260, "note": "chat 7395184260", "hash": "a7395184260b"}
    assert ZOE.scrub(payload) == {
        "from_chat_id": ERASED,
        "note": f"chat {ERASED}",
        "hash": "a7395184260b",
    }
    assert ZOE.scrub(payload, OTHER, numbers=False)["from_chat_id"] == 7_395_184_260


def test_nothing_to_find_changes_nothing() -> None:
    state = {"answers": {"who": "2", "ok": True, "n": 3}, "vars": {"name": "Sara"}}
    assert not ZOE.found_in(state)
    assert ZOE.found_in({"vars": {"name": "ZOË"}})
    assert not Identity(ERASED, None).found_in({"name": ERASED})  # an erased row is no one
