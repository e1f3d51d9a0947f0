"""Example meeting places: marked in flows/places.yaml, told to the coordinator by
`coachbot check` (and the start-up log), never shown to a participant."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bot.content.bundle import check_content
from bot.content.schedules import load_places

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["nl", "en", "tr", "ar", "fa", "so", "ti"]
# Words for "example" a participant could read (the English one was in every address).
EXAMPLE_WORDS = ("example", "voorbeeld")


def shipped_places() -> list[dict[str, object]]:
    data = YAML(typ="safe").load((ROOT / "flows" / "places.yaml").read_text("utf-8"))
    return list(data["places"])


def test_the_shipped_places_are_marked_as_examples_outside_their_address():
    places = load_places(ROOT / "flows", [])
    assert places and all(p.example for p in places)
    assert not any(word in p.address.lower() for p in places for word in EXAMPLE_WORDS)


def test_check_warns_at_each_example_place_and_passes():
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = (ROOT / "flows" / "places.yaml").read_text("utf-8").splitlines()
    for place in shipped_places():
        line = lines.index(f"  - id: {place['id']}") + 1
        expected = f"{ROOT / 'flows' / 'places.yaml'}:{line}: warning: place '{place['id']}'"
        assert any(out.startswith(expected) for out in result.stdout.splitlines()), result.stdout


def test_real_places_give_no_warning(tmp_path):
    for name in ("flows", "messages"):
        shutil.copytree(ROOT / name, tmp_path / name)
    path = tmp_path / "flows" / "places.yaml"
    path.write_text(path.read_text("utf-8").replace("    example: true\n", ""), "utf-8")
    _, problems = check_content(tmp_path, full=True)
    assert not any("places.yaml" in p.path for p in problems)
    assert all(not p.example for p in load_places(tmp_path / "flows", []))


def test_loading_for_a_run_logs_the_example_places(caplog):
    from bot.content.bundle import load_content

    with caplog.at_level("WARNING", logger="bot.content.bundle"):
        load_content(ROOT)
    logged = [r.getMessage() for r in caplog.records if "places.yaml" in r.getMessage()]
    assert len(logged) == 1
    assert all(str(p["id"]) in logged[0] for p in shipped_places())


@pytest.mark.parametrize("code", LANGUAGES)
def test_a_participant_reads_the_address_without_an_example_note(code):
    content, _ = check_content(ROOT)
    assert content is not None
    place = content.place("dukenburg")
    assert place is not None
    text = content.catalogs.render(
        "appointment.new",
        code,
        {
            "coach": "Sanne",
            "participant": "Amal",
            "when": "2026-10-21T12:00:00+00:00",
            "place": place.name,
            "address": place.address,
        },
    )
    assert "Meijhorst 1, Nijmegen" in text
    assert not any(word in text.lower() for word in EXAMPLE_WORDS)
