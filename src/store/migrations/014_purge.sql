-- sellerdesk schema version 14: purging buyer data. A purged thread keeps what the metrics
-- need (order, marketplace, times, roles, resolutions) and loses names, addresses and text.
ALTER TABLE threads ADD COLUMN purged_at INTEGER;
-- "Is a purge due?" in one step: the oldest thread not purged yet.
CREATE INDEX threads_unpurged ON threads (last_message_at) WHERE purged_at IS NULL;
CREATE TABLE purges (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,
    cutoff   INTEGER NOT NULL,
    threads  INTEGER NOT NULL,
    messages INTEGER NOT NULL
) STRICT;
