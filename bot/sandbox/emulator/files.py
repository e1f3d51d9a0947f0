"""Files for the Telegram emulator: ids, image sizes, a tiny PNG writer and the file store."""

from __future__ import annotations

import base64
import mimetypes
import random
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.emulator.answers import bad_request

MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram does
MAX_PHOTO_SIZE = 10 * 1024 * 1024
MAX_UPLOAD_SIZE = 50 * 1024 * 1024
# Thumbnail edges Telegram generates for photos ("s", "m", "x", "y").
PHOTO_EDGES = (90, 320, 800, 1280)
# Names used in "can't use file of type X as Y".
KIND_NAMES = {"photo": "Photo", "document": "Document", "voice": "VoiceNote"}
_FOLDERS = {"photo": ("photos", ".jpg"), "document": ("documents", ""), "voice": ("voice", ".oga")}


@dataclass
class StoredFile:
    """One file the bot can reference by ``file_id``."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    meta: dict[str, Any] = field(default_factory=dict)
    file_path: str | None = None
    group: list[StoredFile] | None = None  # all sizes of one photo


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG, GIF or WebP image, or None when not an image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            width = int.from_bytes(data[24:27], "little") + 1
            height = int.from_bytes(data[27:30], "little") + 1
            return width, height
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 9 < len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return width, height
        pos += 2 + length
    return None


def make_png(
    width: int = 800, height: int = 600, rgb: tuple[int, int, int] = (90, 140, 200)
) -> bytes:
    """A valid single-colour PNG, so user photos have real bytes behind them."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    pixels = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


FAKE_OGG = b"OggS\x00\x02" + bytes(22) + b"OpusHead\x01\x01" + bytes(64)
FAKE_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class FileStore:
    """All files known to the emulator, by file_id; ids are opaque but stable per file."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._path_counter = 0

    def _token(self, size: int) -> str:
        return base64.urlsafe_b64encode(self._rng.randbytes(size)).decode().rstrip("=")

    def add(self, kind: str, data: bytes, meta: dict[str, Any] | None = None) -> StoredFile:
        """Store bytes under a fresh file_id/file_unique_id."""
        prefix = {"photo": "AgACAgQAAxkBAA", "voice": "AwACAgQAAxkBAA"}.get(kind, "BQACAgQAAxkBAA")
        stored = StoredFile(
            file_id=prefix + self._token(48),
            file_unique_id="AQAD" + self._token(12),
            kind=kind,
            data=data,
            meta=dict(meta or {}),
        )
        self._files[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def path_for(self, stored: StoredFile) -> str:
        """Assign the download path getFile reports (stable per file)."""
        if stored.file_path is None:
            self._path_counter += 1
            folder, ext = _FOLDERS.get(stored.kind, ("documents", ""))
            if stored.kind == "document":
                name = str(stored.meta.get("file_name") or "")
                ext = ("." + name.rsplit(".", 1)[1]) if "." in name else ""
            stored.file_path = f"{folder}/file_{self._path_counter}{ext}"
            self._by_path[stored.file_path] = stored
        return stored.file_path

    # -- Telegram objects -------------------------------------------------------------------

    def photo_sizes(self, data: bytes) -> list[dict[str, Any]]:
        """Store an image and return the PhotoSize array Telegram would send."""
        dims = image_size(data)
        if dims is None or min(dims) <= 0:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = dims
        if max(width, height) / min(width, height) > 20:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        sizes: list[dict[str, Any]] = []
        group: list[StoredFile] = []
        for edge in PHOTO_EDGES:
            scale = min(1.0, edge / max(width, height))
            w, h = max(1, round(width * scale)), max(1, round(height * scale))
            ratio = (w * h) / (width * height)
            stored = self.add("photo", data)
            stored.group = group
            group.append(stored)
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": max(1, int(len(data) * ratio)),
                    "width": w,
                    "height": h,
                }
            )
            stored.meta = sizes[-1]
            if scale == 1.0:
                break
        return sizes

    def document(self, data: bytes, file_name: str | None, mime_type: str | None) -> dict[str, Any]:
        """Store a document and return its Document object."""
        if mime_type in (None, "", "application/octet-stream") and file_name:
            mime_type = mimetypes.guess_type(file_name)[0] or mime_type
        meta: dict[str, Any] = {}
        if file_name:
            meta["file_name"] = file_name
        if mime_type:
            meta["mime_type"] = mime_type
        stored = self.add("document", data, meta)
        stored.meta = {
            **meta,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(data),
        }
        return dict(stored.meta)

    def voice(self, data: bytes, duration: int, mime_type: str | None) -> dict[str, Any]:
        """Store a voice note and return its Voice object."""
        stored = self.add("voice", data)
        stored.meta = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": mime_type or "audio/ogg",
            "file_size": len(data),
        }
        return dict(stored.meta)

    def reuse(self, file_id: str, kind: str) -> StoredFile:
        """Resolve a file_id string sent instead of an upload."""
        stored = self._files.get(file_id.strip())
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {KIND_NAMES.get(stored.kind, 'Document')} as "
                f"{KIND_NAMES.get(kind, 'Document')}"
            )
        return stored

    def photo_group(self, file_id: str) -> list[dict[str, Any]]:
        """The PhotoSize array of the photo a file_id belongs to (by identical bytes)."""
        stored = self.reuse(file_id, "photo")
        return [dict(member.meta) for member in stored.group or [stored]]
