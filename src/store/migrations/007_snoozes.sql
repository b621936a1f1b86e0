-- sellerdesk schema version 7: snoozed threads.

-- A thread hidden from the inbox lists until `until` (it stays in the startup alert and in
-- `status`: Amazon's clock never pauses). A row whose time has passed hides nothing.
CREATE TABLE snoozes (
    thread_id  INTEGER PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    until      INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX snoozes_by_until ON snoozes (until);
