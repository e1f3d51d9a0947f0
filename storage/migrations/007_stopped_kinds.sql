-- Kinds of unasked messages a participant said "no more" to (the check-in question,
-- appointment reminders, the coach's nudges): one row per kind, until /start removes them.
-- Pause and stop are statuses of the person; these are choices per kind, and survive both.
CREATE TABLE stopped_kinds (
    person_id INTEGER NOT NULL REFERENCES people(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('checkin', 'reminder', 'nudge')),
    stopped_at TEXT NOT NULL,
    PRIMARY KEY (person_id, kind)
);

-- A coach's nudge is now a question with buttons, started by a timer at its time. A nudge
-- still waiting in the outbox becomes such a timer (its text moves with it), and the
-- outbox row is closed without its text.
INSERT INTO timers (person_id, kind, payload, ref, due_at, expires_at, created_at)
SELECT person_id, 'flow',
       json_object('flow', 'nudge_message',
                   'vars', json_object('text', json_extract(payload, '$.text'))),
       'nudge:outbox:' || id, due_at, NULL, created_at
FROM outbox
WHERE tag = 'nudge' AND status = 'pending' AND person_id IS NOT NULL;

UPDATE outbox SET status = 'cancelled', payload = '{}' WHERE tag = 'nudge' AND status = 'pending';
