-- sellerdesk schema version 8: full-text search over message subjects, bodies and senders.
-- External content (the text stays in `messages` only); filled by a deferred pass
-- (store::search_index) after each import and in the app, not while importing.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, body, from_name,
    content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4 5'
);
-- The highest message id in the index: messages above it are searched without the index.
CREATE TABLE search_state (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto INTEGER NOT NULL
) STRICT;
INSERT INTO search_state (id, indexed_upto) VALUES (1, 0);
