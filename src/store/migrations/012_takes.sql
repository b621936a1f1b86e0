-- sellerdesk schema version 12: who is writing a reply where. Each running app records the
-- thread whose composer it has open, with the agent's name and a heartbeat, so that another
-- terminal on the same database shows the thread as taken and asks before sending there.
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
