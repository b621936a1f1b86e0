-- sellerdesk schema version 6: escalations and check-back reminders.

-- Something to come back to on a thread: an escalation (a case opened with Seller Support, by
-- e-mail or elsewhere, followed up by default 48 h later) or a "check back" reminder set when
-- the thread was resolved. Closed with an outcome.
CREATE TABLE follow_ups (
    id         INTEGER PRIMARY KEY,
    thread_id  INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('escalation', 'check_back')),
    channel    TEXT    CHECK (channel IN ('seller_support', 'email', 'other')),
    case_id    TEXT,
    created_at INTEGER NOT NULL,
    due_at     INTEGER NOT NULL,
    closed_at  INTEGER,
    outcome    TEXT
) STRICT;
CREATE INDEX follow_ups_open ON follow_ups (due_at) WHERE closed_at IS NULL;
CREATE INDEX follow_ups_by_thread ON follow_ups (thread_id, created_at);
