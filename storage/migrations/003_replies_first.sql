-- Replies (unsolicited = 0) go before a burst of reminders that is already due.
CREATE INDEX outbox_replies_first ON outbox(status, unsolicited, due_at);
