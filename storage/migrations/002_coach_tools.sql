-- Coach tools: contact tracking for the silent scan, trajectory milestones, away and
-- handover, nudges, and which participant an outgoing coach message is about (so a coach
-- can reply to it).
ALTER TABLE people ADD COLUMN last_contact_at TEXT;
ALTER TABLE people ADD COLUMN silent_since TEXT;
ALTER TABLE people ADD COLUMN five_month_notified_at TEXT;
ALTER TABLE people ADD COLUMN away_until TEXT;
ALTER TABLE people ADD COLUMN backup_id INTEGER REFERENCES people(id);
ALTER TABLE people ADD COLUMN end_reason TEXT;
ALTER TABLE outbox ADD COLUMN about_id INTEGER REFERENCES people(id) ON DELETE CASCADE;
ALTER TABLE outbox ADD COLUMN tag TEXT;
CREATE INDEX outbox_reply ON outbox(chat_id, telegram_message_id);
ALTER TABLE appointments ADD COLUMN attendance TEXT
    CHECK (attendance IN ('came', 'no_show', 'cancelled'));

-- Periodic work driven by the injected clock: the last local day each job ran.
CREATE TABLE periodic (
    job TEXT PRIMARY KEY,
    last_day TEXT NOT NULL
);
