-- sellerdesk schema version 12: who is writing a reply where, and files attached to drafts.
-- Each running app records the thread whose composer it has open, with the agent's name and a
-- heartbeat, so that another terminal on the same database shows the thread as taken and asks
-- before sending there.
CREATE TABLE takes (
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    -- host:pid of the app holding it.
    instance  TEXT    NOT NULL,
    agent     TEXT    NOT NULL,
    since     INTEGER NOT NULL,
    seen_at   INTEGER NOT NULL,
    PRIMARY KEY (thread_id, instance)
) STRICT, WITHOUT ROWID;
CREATE INDEX takes_by_instance ON takes (instance);

-- Files the seller attached to a thread's reply draft: kept with the draft (closing the
-- composer keeps them), read and size-checked again when the reply is queued, gone with it.
CREATE TABLE draft_attachments (
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    path      TEXT    NOT NULL,
    added_at  INTEGER NOT NULL,
    PRIMARY KEY (thread_id, path)
) STRICT, WITHOUT ROWID;
