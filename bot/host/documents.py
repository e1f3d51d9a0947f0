"""Files the bot sends, made at the moment of sending so that no copy waits in the outbox."""

from __future__ import annotations

from typing import Any

from bot.deps import Deps
from bot.host.privacy import my_data, my_data_file
from storage import parked


async def make_document(deps: Deps, spec: dict[str, Any]) -> tuple[str, bytes, str]:
    """(file name, content, text for the caption) for an outbox document spec such as
    {"kind": "mydata", …}."""
    kind = spec.get("kind")
    if kind == "mydata":
        data = await my_data(deps.db.conn, int(spec["person_id"]))
        return "coachbot-my-data.json", my_data_file(data), ""
    if kind == "report":
        from bot.research.report import build_report  # optional part, loaded when used

        # In the coordinator's language: Dutch or English (any other gives Dutch).
        html, summary = await build_report(
            deps.db,
            tz=deps.content.tz,
            content=deps.content,
            clock=deps.clock,
            language=spec.get("language"),
        )
        waiting = await parked.count(deps.db)
        if waiting:  # updates that kept failing are not in the figures: say so
            note = deps.content.catalogs.render(
                "report.parked", spec.get("language"), {"count": waiting}, deps.content.tz
            )
            summary = f"{summary}\n{note}".strip()
        return "coachbot-report.html", html.encode("utf-8"), summary
    raise ValueError(f"unknown document kind {kind!r}")
