"""What a participant can send is named in their /help and their command menu, in every
language: the same commands as in Dutch, and each one a participant may use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import PARTICIPANT_MENU
from bot.content.bundle import HOST_KEYS, check_content
from bot.host.inbound import DIRECT_COMMANDS, PARTICIPANT_COMMANDS, _direct_allowed
from storage.people import Role

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["nl", "en", "tr", "ar", "fa", "so", "ti"]
COMMAND = re.compile(r"/([a-z]+)")


def may_use(command: str) -> bool:
    if command in DIRECT_COMMANDS:
        return command == "help" or _direct_allowed(command, Role.PARTICIPANT)
    return command in PARTICIPANT_COMMANDS


@pytest.fixture(scope="module")
def catalogs():
    content, _ = check_content(ROOT)
    assert content is not None
    return content.catalogs


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_participants_help_names_survey_and_only_what_they_may_use(catalogs, code):
    text = catalogs.render("help.participant", code, {"coach": "Sanne", "name": "Amal"})
    named = set(COMMAND.findall(text))
    assert "survey" in named
    assert all(may_use(c) for c in named), named
    dutch = catalogs.render("help.participant", "nl", {"coach": "Sanne", "name": "Amal"})
    assert named == set(COMMAND.findall(dutch))


def test_the_participant_menu_has_survey_and_only_what_participants_may_use():
    assert "survey" in PARTICIPANT_MENU
    assert all(may_use(c) for c in PARTICIPANT_MENU)


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_menu_entry_is_described_in_every_language(catalogs, code):
    for command in PARTICIPANT_MENU:
        key = f"cmd.{command}"
        assert key in HOST_KEYS
        assert key in catalogs.by_code[code].messages, (code, key)
