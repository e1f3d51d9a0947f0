-- Incoming updates that could not be handled, even after retries: a dead letter, so that
-- none is dropped silently. Only the update id, when, how often it was tried and the class
-- of the error: never the update's content, never who sent it.
CREATE TABLE parked_updates (
    update_id INTEGER PRIMARY KEY,
    parked_at TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL
);
