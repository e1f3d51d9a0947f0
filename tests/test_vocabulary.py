"""What flow files may name and what the host implements are the same sets."""

from __future__ import annotations

from bot.content.vocabulary import ACTIONS, SOURCES
from bot.host.actions import names as action_names
from bot.host.sources import ANSWER_DEPENDENT
from bot.host.sources import SOURCES as HOST_SOURCES


def test_every_flow_action_has_a_host_implementation_and_back() -> None:
    assert action_names() | {"start_flow"} == set(ACTIONS)


def test_every_option_source_is_computed_by_the_host_and_back() -> None:
    assert set(HOST_SOURCES) == set(SOURCES)
    assert set(ANSWER_DEPENDENT) <= set(SOURCES)
