"""The registry of host actions: each action is a function registered under the name that
flow files use with `do:` (bot.content.vocabulary.ACTIONS lists the vocabulary)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from bot.content.vocabulary import ACTIONS
from bot.engine.runner import Perform
from storage.db import Conn
from storage.people import Person

if TYPE_CHECKING:
    from bot.host.tools import Tools

Handler = Callable[["Tools", Conn, Person, int, Perform, dict[str, Any]], Awaitable[None]]

REGISTRY: dict[str, Handler] = {}


def action(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under its flow vocabulary name."""

    def register(handler: Handler) -> Handler:
        if name not in ACTIONS:
            raise ValueError(f"{name!r} is not in the flow vocabulary (bot.content.vocabulary)")
        if name in REGISTRY:
            raise ValueError(f"host action {name!r} registered twice")
        REGISTRY[name] = handler
        return handler

    return register


async def perform(
    tools: Tools,
    conn: Conn,
    person: Person,
    run_id: int,
    action: Perform,
    context: dict[str, Any],
) -> None:
    """Run the action a flow step names, inside the caller's transaction."""
    handler = REGISTRY.get(action.action)
    if handler is None:
        raise ValueError(f"unknown action {action.action!r}")
    await handler(tools, conn, person, run_id, action, context)
