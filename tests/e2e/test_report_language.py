"""/report in the chat: the same file as `coachbot report`, in the coordinator's language
(Dutch or English; a coordinator who reads another language gets Dutch)."""

from __future__ import annotations

import pytest

from storage.people import Role
from tests.e2e.harness import Harness, start_token

KIM = 9001


@pytest.mark.parametrize(
    ("telegram_language", "lang", "heading"),
    [("en", "en", "Who did we reach?"), ("tr", "nl", "Wie hebben we bereikt?")],
)
async def test_report_comes_in_the_coordinators_language(
    harness: Harness, telegram_language: str, lang: str, heading: str
) -> None:
    h = harness
    link = await h.staff_link(Role.COORDINATOR, "Kim")
    h.emu.add_user(KIM, "Kim", language_code=telegram_language)
    h.emu.send_command(KIM, "/start", args=start_token(link))
    await h.next_message(KIM)
    h.emu.send_command(KIM, "/report")
    doc = await h.emu.wait_for_bot_message(KIM, predicate=lambda m: "document" in m, timeout=30)
    html = h.emu.files.get(doc["document"]["file_id"]).data.decode()
    assert f'<html lang="{lang}">' in html
    assert heading in html
    assert len(html.encode()) < 1_000_000
