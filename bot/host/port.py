"""What host actions may ask of the flow host: start a flow for someone. A Protocol, so that
actions do not import the flow host that calls them (no circle)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from storage.db import Conn
from storage.people import Person


class HostPort(Protocol):
    async def start(
        self,
        conn: Conn,
        person: Person,
        flow_id: str,
        vars: Mapping[str, Any] | None = None,
        *,
        scheduled: bool = False,
        expires: datetime | None = None,
    ) -> None:
        """Start a flow now; a scheduled one queues behind a question that is waiting."""
        ...
