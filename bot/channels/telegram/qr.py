"""A QR code picture of an invite link, to show on the coach's phone at an intake."""

from __future__ import annotations

import io

import segno


def qr_png(text: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="png", scale=8, border=3)
    return buffer.getvalue()
