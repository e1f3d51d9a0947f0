-- Whether a run was started by the schedule (a reminder, check-in, follow-up, attendance
-- or ladder question) or by the person (a command, a menu, a chained flow). A scheduled
-- question sets aside what is open; a set-aside scheduled question is asked again later.
ALTER TABLE runs ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0;
