-- sellerdesk schema version 11: the outbox. A reply is recorded on its thread (which stops the
-- clock) together with its row here; a sender delivers it by SMTP, a sendmail command or into
-- the .eml folder. The raw bytes are the message's own (message_raw).
--
-- queued  → waiting for its first attempt;
-- sending → the final step of delivery has begun (committed just before it): a sender that
--           dies now leaves it so, and it is never sent again without the seller's keypress;
-- sent    → the server (or command, or folder) took it;
-- failed  → refused: with next_attempt_at when temporary (retried), without when permanent
--           (the reply is then flagged undelivered and the thread's clock runs again);
-- unknown → found in `sending` with its sender gone: maybe delivered, maybe not.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    thread_id       INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    state           TEXT    NOT NULL
                    CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT,
    -- Which transport took it or refused it last: folder, smtp, sendmail.
    transport       TEXT,
    -- The sender working on it (host:pid) and since when: another sender leaves it alone
    -- while that process lives.
    claimed_by      TEXT,
    claimed_at      INTEGER,
    queued_at       INTEGER NOT NULL,
    sent_at         INTEGER,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state IN ('queued', 'failed');
CREATE INDEX outbox_attention ON outbox (state) WHERE state IN ('failed', 'unknown', 'sending');
CREATE INDEX outbox_by_thread ON outbox (thread_id);

-- Replies recorded before there was an outbox were written straight to the .eml folder.
INSERT INTO outbox (message_id, thread_id, state, attempts, transport, queued_at, sent_at,
                    updated_at)
SELECT id, thread_id, 'sent', 1, 'folder', imported_at, imported_at, imported_at
FROM messages WHERE direction = 'out' AND source LIKE 'outbox %';
