-- The language each questionnaire wave was answered in: the participant's chat language when
-- the coach sent it (its first question goes out at once) and when its last answer came.
-- Researchers need it to read answers across the seven translations. The chat language is
-- personal data (erasure empties people.language), so it has a table of its own that points
-- at the person: erasure deletes these rows and keeps the pseudonymous answers, and /mydata
-- shows them.
CREATE TABLE survey_languages (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    wave TEXT NOT NULL CHECK (wave IN ('T0', 'T1')),
    moment TEXT NOT NULL CHECK (moment IN ('sent', 'completed')),
    language TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX survey_languages_person ON survey_languages(person_id, wave);
