-- sellerdesk schema version 13: the backups made of this database (where, when, how big), so
-- `sellerdesk check` can say how old the newest is and a purge can name the backups it
-- cannot reach.
CREATE TABLE backups (
    id         INTEGER PRIMARY KEY,
    path       TEXT    NOT NULL,
    made_at    INTEGER NOT NULL,
    size       INTEGER NOT NULL
) STRICT;
CREATE INDEX backups_by_time ON backups (made_at);
