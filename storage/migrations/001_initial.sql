-- People: participants, coaches and coordinators. Minimal personal data:
-- a first name or nickname, a language, a Telegram id once linked.
CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('participant', 'coach', 'coordinator')),
    name TEXT NOT NULL,
    language TEXT,
    telegram_id INTEGER UNIQUE,
    coach_id INTEGER REFERENCES people(id),
    status TEXT NOT NULL DEFAULT 'invited'
        CHECK (status IN ('invited', 'active', 'paused', 'stopped', 'declined',
                          'unreachable', 'deactivated')),
    consent_at TEXT,
    checkin_day TEXT,
    checkin_time TEXT,
    last_mood TEXT,
    paused_until TEXT,
    trajectory_start TEXT,
    trajectory_end TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX people_coach ON people(coach_id);

-- Single-use invite links; only a hash of the token is stored.
CREATE TABLE invites (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Flow runs: one active per person at most; others wait as suspended or queued.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    flow_id TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('active', 'suspended', 'queued', 'done', 'expired', 'cancelled')),
    state TEXT NOT NULL,
    question_message_id INTEGER,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX runs_person ON runs(person_id, status);

CREATE TABLE appointments (
    id INTEGER PRIMARY KEY,
    participant_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    coach_id INTEGER NOT NULL REFERENCES people(id),
    starts_at TEXT NOT NULL,
    place TEXT NOT NULL,
    address TEXT,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'confirmed', 'declined', 'cancelled')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX appointments_coach ON appointments(coach_id, starts_at);

-- Messages to Telegram. The payload (text) is cleared once sent.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    person_id INTEGER REFERENCES people(id) ON DELETE CASCADE,
    chat_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'copy', 'edit')),
    payload TEXT NOT NULL,
    unsolicited INTEGER NOT NULL DEFAULT 0,
    run_id INTEGER,
    seq INTEGER,
    due_at TEXT NOT NULL,
    expires_at TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'expired', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    telegram_message_id INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox(status, due_at);
CREATE INDEX outbox_person ON outbox(person_id, status);

-- Internal timers: scheduled flows, question timeouts, end of a pause.
CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('flow', 'timeout', 'resume')),
    payload TEXT NOT NULL,
    ref TEXT,
    due_at TEXT NOT NULL,
    expires_at TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'done', 'expired', 'cancelled', 'skipped')),
    created_at TEXT NOT NULL
);
CREATE INDEX timers_due ON timers(status, due_at);
CREATE UNIQUE INDEX timers_pending_ref ON timers(person_id, ref)
    WHERE ref IS NOT NULL AND status = 'pending';

-- Each Telegram update is handled once.
CREATE TABLE inbound (
    update_id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL
);

-- Engagement log: append-only, never message texts.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    person_id INTEGER,
    coach_id INTEGER,
    flow_id TEXT,
    step TEXT,
    value TEXT,
    ref TEXT,
    latency_s REAL
);
CREATE INDEX events_person ON events(person_id, at);
CREATE INDEX events_type ON events(type, at);
