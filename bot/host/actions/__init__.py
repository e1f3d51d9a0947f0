"""Host actions that flow files name with `do:`, one module per domain, each action a
function registered under its vocabulary name (see `registry`)."""

from bot.host.actions import appointments, caseload, coordinator, participant, questionnaire
from bot.host.actions.registry import REGISTRY, perform

__all__ = [
    "REGISTRY",
    "appointments",
    "caseload",
    "coordinator",
    "names",
    "participant",
    "perform",
    "questionnaire",
]


def names() -> set[str]:
    """Every registered action name."""
    return set(REGISTRY)
