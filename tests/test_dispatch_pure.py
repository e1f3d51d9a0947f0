"""Pure parts of sending: long texts are split (never dropped), pacing buckets, error mapping."""

from __future__ import annotations

import aiohttp
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.request import NotSent
from bot.channels.telegram.sender import map_error
from bot.errors import Rejected, RetryLater, Transient, Uncertain, Unreachable
from bot.outbox.pacing import Bucket, Window
from bot.outbox.sending import MAX_TEXT, split_text


def test_a_short_text_is_one_part() -> None:
    assert split_text("hallo") == ["hallo"]


def test_a_long_text_is_split_at_line_breaks_and_nothing_is_lost() -> None:
    text = "\n".join(f"regel {n} " + "x" * 50 for n in range(300))
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_TEXT for p in parts)
    assert "\n".join(parts) == text


def test_a_long_line_without_breaks_is_cut_hard() -> None:
    parts = split_text("y" * (MAX_TEXT * 2 + 10))
    assert [len(p) for p in parts] == [MAX_TEXT, MAX_TEXT, 10]


def test_emoji_count_as_two_utf16_units() -> None:
    parts = split_text("😀" * MAX_TEXT)  # 8192 units
    assert all(len(p.encode("utf-16-le")) // 2 <= MAX_TEXT for p in parts)
    assert "".join(parts) == "😀" * MAX_TEXT


def test_bucket_allows_a_burst_then_one_per_second() -> None:
    bucket = Bucket(rate=1.0, burst=3.0)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take(0.5) is False
    assert bucket.take(1.0) is True


def test_global_window_never_allows_more_than_the_limit_in_any_sliding_second() -> None:
    window = Window(30, span=1.0)
    stamps = [i * 0.01 for i in range(30)]  # 30 sends in the first 0.3 s
    assert all(window.take(t) for t in stamps)
    assert window.take(0.5) is False
    assert window.wait(0.5) == pytest.approx(0.5)  # until the first of them is a second old
    assert window.take(1.0) is True  # the send at 0.0 has left the window
    assert window.take(1.005) is False
    window.give_back()  # that send did not happen after all
    assert window.take(1.005) is True


def test_global_window_catches_up_after_a_pause_without_a_burst_bucket_loss() -> None:
    window = Window(30, span=1.0)
    assert window.take(0.0)
    # Busy for 0.9 s (firing timers): the other 29 of that second can still go.
    assert sum(window.take(0.9) for _ in range(40)) == 29


@pytest.mark.parametrize(
    ("error", "mapped"),
    [
        (RetryAfter(7), RetryLater),
        (Forbidden("Forbidden: bot was blocked by the user"), Unreachable),
        (BadRequest("Bad Request: chat not found"), Unreachable),
        (BadRequest("Bad Request: BUTTON_DATA_INVALID"), Rejected),
        (TimedOut(), Transient),
        (NetworkError("Bad Gateway"), Transient),
    ],
    ids=["429", "403", "chat-gone", "400", "timeout", "5xx"],
)
def test_every_telegram_error_maps_to_one_of_ours(error: Exception, mapped: type) -> None:
    result = map_error(error)  # type: ignore[arg-type]
    assert isinstance(result, mapped)
    if isinstance(result, RetryLater):
        assert result.retry_after == 7


def _wrapped(outer: Exception, cause: Exception) -> Exception:
    outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    ("error", "mapped"),
    [
        (_wrapped(NotSent("refused"), OSError("c")), Transient),
        (NotSent("no free connection"), Transient),
        (_wrapped(TimedOut(), aiohttp.SocketTimeoutError("r")), Uncertain),
        (_wrapped(NetworkError("x"), aiohttp.ServerDisconnectedError()), Uncertain),
        (_wrapped(NetworkError("x"), aiohttp.ClientPayloadError("cut")), Uncertain),
    ],
    ids=["refused", "pool", "read-timeout", "dropped", "cut-short"],
)
def test_only_requests_that_never_reached_telegram_are_retried_blindly(
    error: Exception, mapped: type
) -> None:
    assert isinstance(map_error(error), mapped)  # type: ignore[arg-type]
