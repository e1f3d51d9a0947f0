"""The pilot's questionnaire as data: where each Coachbot item comes from, word for word.

The source is the interim report of the Nijmegen pilot (the project's seed,
`tussenrapportage-pilot-participatietraject-nijmegen.txt`, §3.3 "Deelnemers: startsituatie").
For every item it holds the seed's lines and exact Dutch (quotes are exact up to line breaks
and runs of spaces), the answer scale there, the Dutch and English Coachbot ships
(`messages/nl.yaml`, `messages/en.yaml`), what was simplified, and the pilot's mean at intake
(T0, N=53) where the report gives one.

`docs/questionnaire.md` holds `table_markdown()` and tests pin the shipped texts, scales and
anchors to this data (`tests/research/test_instrument.py`), so the three cannot drift apart.
The report compares an item with the pilot only when it is `comparable` and the Dutch text
in use is exactly the one recorded here (`baseline_for`): change the words and the comparison
goes, until this table says the new words are still the pilot's item.

Regenerate the table with `python -m bot.research.instrument`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

SEED = "tussenrapportage-pilot-participatietraject-nijmegen.txt"
PILOT_N = 53  # participants with an intake questionnaire (seed lines 1294, 1612)


class Source(StrEnum):
    PILOT = "pilot"  # asked in the pilot's T0/T1 questionnaire
    NEW = "new"  # Coachbot's own: no pilot figure to compare with


class Wording(StrEnum):
    QUOTED = "quoted"  # the report quotes the question or statement itself
    LABEL = "label"  # the report gives only a table label: the question's words are Coachbot's


@dataclass(frozen=True)
class Quote:
    """Exact text of the seed on these lines (1-based; joined with single spaces)."""

    lines: tuple[int, ...]
    text: str

    @property
    def where(self) -> str:
        first, last = self.lines[0], self.lines[-1]
        return f"line {first}" if first == last else f"lines {first}–{last}"


@dataclass(frozen=True)
class Anchor:
    """One labelled answer: its code, the pilot's Dutch and its English, and the seed's
    line with the same label (None: the label is Coachbot's, the report gives none).
    `button` is the shipped (Dutch, English) label when the pilot's does not fit a phone
    button (at most 20 characters): shorter, with the same meaning."""

    code: str
    dutch: str
    english: str
    seed: Quote | None = None
    button: tuple[str, str] | None = None

    @property
    def shipped(self) -> tuple[str, str]:
        """The (Dutch, English) button label the bot shows."""
        return self.button or (self.dutch, self.english)


@dataclass(frozen=True)
class Baseline:
    """The pilot's mean at intake, as the report gives it."""

    mean: float
    n: int
    quote: Quote


@dataclass(frozen=True)
class PilotItem:
    id: str
    domain: str
    source: Source
    wording: Wording
    question: tuple[Quote, ...]  # the pilot's words for the item
    scale: Quote | None  # the report's statement of a 0–10 scale (choices: see anchors)
    answer: str  # "scale" (0–10) or "choice"
    dutch: str  # messages/nl.yaml
    english: str  # messages/en.yaml
    anchors: tuple[Anchor, ...]  # 0–10: the two ends; choice: every option in order
    changes: str  # how the shipped Dutch differs from the pilot's, and why
    baseline: Baseline | None = None
    comparable: bool = False  # same wording and scale: the report shows the baseline

    @property
    def codes(self) -> tuple[str, ...]:
        """Answer codes of a choice item in the order shown (empty for 0–10)."""
        return tuple(a.code for a in self.anchors) if self.answer == "choice" else ()

    @property
    def citation(self) -> str:
        """Where the seed has the item, for codebooks: "seed line 1608"."""
        lines = sorted({n for q in self.question for n in q.lines})
        if len(lines) == 1:
            return f"seed line {lines[0]}"
        return f"seed lines {lines[0]}–{lines[-1]}"


def _q(text: str, *lines: int) -> Quote:
    return Quote(tuple(lines), text)


AGREE_LINES = (1562, 1564, 1566, 1568, 1570)
VOLUNTEER_AGREE_LINES = (1729, 1731, 1733, 1735, 1737)
AGREE = (
    ("1", "Helemaal mee oneens", "Completely disagree"),
    ("2", "Oneens", "Disagree"),
    ("3", "Niet oneens / niet eens", "Neither agree nor disagree"),
    ("4", "Eens", "Agree"),
    ("5", "Helemaal eens", "Completely agree"),
)
# Pilot labels longer than a phone button: the button says the same in fewer words.
BUTTONS = {
    ("agree", "3"): ("Neutraal", "Neutral"),
    ("contact", "weekly"): ("Elke week of vaker", "At least once a week"),
    ("contact", "less"): ("Niet elke maand", "Less than monthly"),
}
HEALTH = (
    ("poor", "Slecht", "Poor", 1582),
    ("fair", "Matig", "Fair", 1584),
    ("good", "Goed", "Good", 1586),
    ("very_good", "Zeer goed", "Very good", 1588),
    ("excellent", "Uitstekend", "Excellent", 1590),
)
CONTACT = (
    ("weekly", "Minstens 1 keer per week", "At least once a week", 1362),
    ("3_month", "3 keer per maand", "3 times a month", 1364),
    ("2_month", "2 keer per maand", "2 times a month", 1366),
    ("monthly", "1 keer per maand", "Once a month", 1368),
    ("less", "Minder dan 1 keer per maand", "Less than once a month", 1370),
    ("never", "Zelden of nooit", "Rarely or never", 1372),
)


def _agree(lines: tuple[int, ...]) -> tuple[Anchor, ...]:
    pairs = zip(AGREE, lines, strict=True)
    return tuple(
        Anchor(code, nl, en, _q(nl, line), BUTTONS.get(("agree", code)))
        for (code, nl, en), line in pairs
    )


def _health() -> tuple[Anchor, ...]:
    return tuple(Anchor(code, nl, en, _q(nl, line)) for code, nl, en, line in HEALTH)


def _contact() -> tuple[Anchor, ...]:
    return tuple(
        Anchor(code, nl, en, _q(nl, line), BUTTONS.get(("contact", code)))
        for code, nl, en, line in CONTACT
    )


LIFE_SCALE = _q("Schaal 0-10; 10 is zinvol/tevreden; N=53 / N=339", 1612)
TRUST_SCALE = _q("Schaal 0-10; 10 = veel vertrouwen", 1270)
TRUST_QUESTION = _q(
    "Vindt u dat de … te vertrouwen zijn{is]? Of vindt u dat u niet voorzichtig genoeg kan "
    "zijn met de …?",
    1284,
    1286,
)
CONTACT_QUESTION = _q("Hoe vaak heeft u contact met...", 1342)
U_TO_JE = "Informal “je” for the pilot's “u”, as everywhere in Coachbot."
ZERO_ANCHOR = (
    "The report names only the 10 end; the 0 end is Coachbot's (check both against the pilot's "
    "LimeSurvey form, seed line 924)."
)

ITEMS: tuple[PilotItem, ...] = (
    PilotItem(
        id="life_satisfaction",
        domain="wellbeing",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(_q("Hoe tevreden bent u met uw leven?", 1608),),
        scale=LIFE_SCALE,
        answer="scale",
        dutch="Hoe tevreden ben je met je leven?\n0 = helemaal niet tevreden\n10 = tevreden",
        english="How satisfied are you with your life?\n0 = not satisfied at all\n10 = satisfied",
        anchors=(
            Anchor("0", "helemaal niet tevreden", "not satisfied at all"),
            Anchor("10", "tevreden", "satisfied", _q("10 is zinvol/tevreden", 1612)),
        ),
        changes=f"{U_TO_JE} {ZERO_ANCHOR}",
        baseline=Baseline(5.98, PILOT_N, _q("Hoe tevreden bent u met uw leven? 5,98", 1608)),
        comparable=True,
    ),
    PilotItem(
        id="meaningful",
        domain="wellbeing",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(_q("Vindt u de dingen die u doet in uw leven zinvol.", 1604),),
        scale=LIFE_SCALE,
        answer="scale",
        dutch="Vind je de dingen die je doet in je leven zinvol?\n0 = helemaal niet zinvol\n"
        "10 = zinvol",
        english="Do you find the things you do in your life meaningful?\n"
        "0 = not meaningful at all\n10 = meaningful",
        anchors=(
            Anchor("0", "helemaal niet zinvol", "not meaningful at all"),
            Anchor("10", "zinvol", "meaningful", _q("10 is zinvol/tevreden", 1612)),
        ),
        changes=f"{U_TO_JE} A question mark for the report's full stop. {ZERO_ANCHOR}",
        baseline=Baseline(
            6.57, PILOT_N, _q("Vindt u de dingen die u doet in uw leven zinvol. 6,57", 1604)
        ),
        comparable=True,
    ),
    PilotItem(
        id="trust_people",
        domain="trust",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(TRUST_QUESTION, _q("De meeste mensen", 1280)),
        scale=TRUST_SCALE,
        answer="scale",
        dutch="Vind je dat de meeste mensen te vertrouwen zijn?\n"
        "Of vind je dat je niet voorzichtig genoeg kunt zijn met de meeste mensen?\n"
        "0 = je kunt niet voorzichtig genoeg zijn\n10 = veel vertrouwen",
        english="Do you think most people can be trusted?\n"
        "Or do you think you cannot be careful enough with most people?\n"
        "0 = you cannot be careful enough\n10 = a lot of trust",
        anchors=(
            Anchor("0", "je kunt niet voorzichtig genoeg zijn", "you cannot be careful enough"),
            Anchor("10", "veel vertrouwen", "a lot of trust", _q("10 = veel vertrouwen", 1270)),
        ),
        changes=f"The report's question with its row “De meeste mensen” filled in. {U_TO_JE} "
        "The report names only the 10 end; the 0 end is the question's second half.",
        baseline=Baseline(5.36, PILOT_N, _q("De meeste mensen 5,36", 1280)),
        comparable=True,
    ),
    PilotItem(
        id="trust_municipality",
        domain="trust",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(TRUST_QUESTION, _q("De gemeente", 1282)),
        scale=TRUST_SCALE,
        answer="scale",
        dutch="Vind je dat de gemeente te vertrouwen is?\n"
        "Of vind je dat je niet voorzichtig genoeg kunt zijn met de gemeente?\n"
        "0 = je kunt niet voorzichtig genoeg zijn\n10 = veel vertrouwen",
        english="Do you think the municipality can be trusted?\n"
        "Or do you think you cannot be careful enough with the municipality?\n"
        "0 = you cannot be careful enough\n10 = a lot of trust",
        anchors=(
            Anchor("0", "je kunt niet voorzichtig genoeg zijn", "you cannot be careful enough"),
            Anchor("10", "veel vertrouwen", "a lot of trust", _q("10 = veel vertrouwen", 1270)),
        ),
        changes=f"The report's question with its row “De gemeente” filled in (“is”, as its "
        f"“zijn{{is]” gives). {U_TO_JE} The 0 end is the question's second half.",
        baseline=Baseline(7.26, PILOT_N, _q("De gemeente 7,26", 1282)),
        comparable=True,
    ),
    PilotItem(
        id="at_home",
        domain="belonging",
        source=Source.PILOT,
        wording=Wording.LABEL,
        question=(_q("Voelt zich thuis in Nederland", 1288),),
        scale=_q("Schaal: 0-10; 10 = totaal wel", 1290),
        answer="scale",
        dutch="Voel je je thuis in Nederland?\n0 = totaal niet\n10 = totaal wel",
        english="Do you feel at home in the Netherlands?\n0 = not at all\n10 = completely",
        anchors=(
            Anchor("0", "totaal niet", "not at all"),
            Anchor("10", "totaal wel", "completely", _q("10 = totaal wel", 1290)),
        ),
        changes="The report gives the row label, not the question: the label's words asked as "
        "a question. The 0 end mirrors the report's “totaal wel”.",
        baseline=Baseline(7.91, PILOT_N, _q("7,91 66,0%", 1292)),
        comparable=True,
    ),
    PilotItem(
        id="health_physical",
        domain="health",
        source=Source.PILOT,
        wording=Wording.LABEL,
        question=(_q("Gezondheid (%)", 1580), _q("Lichamelijk", 1580)),
        scale=None,
        answer="choice",
        dutch="Hoe is je lichamelijke gezondheid? (de gezondheid van je lichaam)",
        english="How is your physical health? (the health of your body)",
        anchors=_health(),
        changes="The report gives the column “Lichamelijk” and the five answers, not the "
        "question: the question and its gloss in plain words are Coachbot's.",
    ),
    PilotItem(
        id="health_mental",
        domain="health",
        source=Source.PILOT,
        wording=Wording.LABEL,
        question=(_q("Gezondheid (%)", 1580), _q("Geestelijk", 1580)),
        scale=None,
        answer="choice",
        dutch="Hoe is je geestelijke gezondheid? (hoe je je voelt in je hoofd)",
        english="How is your mental health? (how you feel in your mind)",
        anchors=_health(),
        changes="The report gives the column “Geestelijk” and the five answers, not the "
        "question: the question and its gloss in plain words are Coachbot's.",
    ),
    PilotItem(
        id="solve_difficult",
        domain="self-efficacy",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(_q("Ik kan moeilijke situaties zelf oplossen", 1554, 1556),),
        scale=None,
        answer="choice",
        dutch="“Ik kan moeilijke situaties zelf oplossen.”\nBen je het daarmee eens?",
        english="“I can solve difficult situations myself.”\nDo you agree?",
        anchors=_agree(AGREE_LINES),
        changes="The statement as quoted; “Ben je het daarmee eens?” asks it in the chat.",
    ),
    PilotItem(
        id="overcome_setbacks",
        domain="self-efficacy",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(_q("Tegenslagen kan ik zelf overwinnen", 1558, 1560),),
        scale=None,
        answer="choice",
        dutch="“Tegenslagen kan ik zelf overwinnen.”\n(Een tegenslag is iets dat misgaat.)\n"
        "Ben je het daarmee eens?",
        english="“I can overcome setbacks myself.”\n(A setback is something that goes wrong.)\n"
        "Do you agree?",
        anchors=_agree(AGREE_LINES),
        changes="The statement as quoted, with a gloss of “tegenslag” (in the pilot the coach "
        "explained words on request, seed lines 864–866); “Ben je het daarmee eens?” added.",
    ),
    PilotItem(
        id="contact_neighbours",
        domain="social contact",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(
            CONTACT_QUESTION,
            _q("… buren of mensen die bij u in de straat wonen?", 1346, 1348, 1350),
        ),
        scale=None,
        answer="choice",
        dutch="Hoe vaak heb je contact met buren of mensen die bij je in de straat wonen?",
        english="How often do you have contact with neighbours or people who live in your street?",
        anchors=_contact(),
        changes=U_TO_JE,
    ),
    PilotItem(
        id="contact_friends",
        domain="social contact",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(
            CONTACT_QUESTION,
            _q("… vrienden, vriendinnen of goede kennissen?", 1352, 1354, 1356, 1358),
        ),
        scale=None,
        answer="choice",
        dutch="Hoe vaak heb je contact met vrienden, vriendinnen of goede kennissen?",
        english="How often do you have contact with friends or good acquaintances?",
        anchors=_contact(),
        changes=f"{U_TO_JE} English has one word for “vrienden, vriendinnen”.",
    ),
    PilotItem(
        id="contact_family",
        domain="social contact",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(CONTACT_QUESTION, _q("… uw familie?", 1360)),
        scale=None,
        answer="choice",
        dutch="Hoe vaak heb je contact met je familie?",
        english="How often do you have contact with your family?",
        anchors=_contact(),
        changes=f"{U_TO_JE} “familie” is relatives, not only the household: the translations "
        "say “family and relatives” where one word would mean the household.",
    ),
    PilotItem(
        id="find_volunteer_work",
        domain="capability",
        source=Source.PILOT,
        wording=Wording.QUOTED,
        question=(
            _q("Ik kan …→… vinden als ik er moeite voor doen.", 1721, 1723, 1725),
            _q("Vrijwilligerswerk", 1727),
        ),
        scale=None,
        answer="choice",
        dutch="“Ik kan vrijwilligerswerk vinden als ik er moeite voor doe.”\n"
        "Ben je het daarmee eens?",
        english="“I can find volunteer work if I make an effort.”\nDo you agree?",
        anchors=_agree(VOLUNTEER_AGREE_LINES),
        changes="The report's statement with its column “Vrijwilligerswerk” filled in, “doen” "
        "read as “doe” (a slip in the report); “Ben je het daarmee eens?” added.",
    ),
)

BY_ID = {item.id: item for item in ITEMS}


def source_of(item_id: str) -> Source:
    """`pilot` for an item of the pilot's questionnaire, else `new`."""
    found = BY_ID.get(item_id)
    return found.source if found is not None else Source.NEW


def baseline_for(
    item_id: str,
    dutch: str | None,
    answer: str,
    minimum: int | None = None,
    maximum: int | None = None,
) -> Baseline | None:
    """The pilot's T0 mean for an item, only when it is the pilot's item as asked now: marked
    comparable here, the Dutch text in use is the one recorded, and the answer is a 0–10 scale.

    Example: `life_satisfaction` asked as "Hoe tevreden ben je met je leven? …" (as shipped)
    → 5.98; the same item reworded to "Hoe blij ben je …" → None.
    """
    item = BY_ID.get(item_id)
    if item is None or item.baseline is None or not item.comparable:
        return None
    if (dutch or "").strip() != item.dutch or answer != item.answer:
        return None
    if (minimum or 0, 10 if maximum is None else maximum) != (0, 10):
        return None
    return item.baseline


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _quotes(quotes: tuple[Quote, ...]) -> str:
    return "<br>".join(f"{q.where}: “{_cell(q.text)}”" for q in quotes)


def _scale(item: PilotItem) -> str:
    if item.scale is not None:
        return _quotes((item.scale,))
    return f"{len(item.anchors)} answers, each on its line of the seed (below)"


def _answers(item: PilotItem) -> str:
    parts = []
    for a in item.anchors:
        origin = a.seed.where if a.seed else "Coachbot's"
        button = f"; button: {_cell(a.button[0])}" if a.button else ""
        parts.append(f"`{a.code}` {_cell(a.dutch)} ({origin}{button})")
    if item.answer == "scale":
        return "0–10: " + " · ".join(parts)
    return " · ".join(parts)


def table_markdown() -> str:
    """The item table of docs/questionnaire.md (a test checks the file holds it exactly)."""
    lines = [
        "| item | source | pilot's words (seed) | pilot T0 mean (N=53) | compared in the report |",
        "| --- | --- | --- | --- | --- |",
    ]
    for item in ITEMS:
        mean = f"{item.baseline.mean:.2f} ({item.baseline.quote.where})" if item.baseline else "–"
        lines.append(
            f"| `{item.id}` | {item.source} ({item.wording}) | {_quotes(item.question)} "
            f"| {mean} | {'yes' if item.comparable else 'no'} |"
        )
    lines.append("")
    for item in ITEMS:
        lines += [
            f"### `{item.id}` ({item.domain})",
            "",
            "| | |",
            "| --- | --- |",
            f"| pilot's words | {_quotes(item.question)} |",
            f"| pilot's scale | {_scale(item)} |",
            f"| Coachbot (nl) | {_cell(item.dutch)} |",
            f"| answers (nl) | {_answers(item)} |",
            f"| Coachbot (en) | {_cell(item.english)} |",
            f"| changes | {_cell(item.changes)} |",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table_markdown())
