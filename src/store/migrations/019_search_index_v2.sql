-- sellerdesk schema version 19: the search index rebuilt to hold what a seller searches for
-- (store::search_index::index_body: the buyer's words, not the relay footer or the quoted
-- earlier message), without a copy of the text to delete by (contentless_delete: purge
-- removes a message's words by its id alone), without prefix indexes (a prefix of three
-- characters or more is read from the words themselves; a shorter one is matched whole:
-- store::search), and a 64 MiB in-memory buffer so a large index pass writes few segments.
-- Every message is indexed again by the app's catch-up thread or `sellerdesk index`; until then
-- searches read the messages themselves.
DROP TABLE IF EXISTS messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, body, from_name,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts (messages_fts, rank) VALUES ('hashsize', 67108864);
-- A search's matching messages lead to their threads through this small index instead of
-- reading each message's row (5,000 look-ups: 13 ms against 3 ms at a million messages).
CREATE INDEX IF NOT EXISTS messages_thread_of ON messages (id, thread_id);
UPDATE search_state SET indexed_upto = 0;
