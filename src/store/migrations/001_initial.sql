-- sellerdesk schema version 1. Times are INTEGER seconds since the Unix epoch, UTC.

CREATE TABLE threads (
    id              INTEGER PRIMARY KEY,
    subject         TEXT    NOT NULL DEFAULT '',
    -- Reply/forward prefixes stripped, lower-cased: groups a buyer's mail without headers.
    subject_key     TEXT    NOT NULL DEFAULT '',
    buyer_alias     TEXT,
    buyer_name      TEXT,
    order_id        TEXT,
    marketplace     TEXT,
    category        TEXT,
    created_at      INTEGER NOT NULL,
    last_message_at INTEGER NOT NULL,
    message_count   INTEGER NOT NULL DEFAULT 0,
    unread          INTEGER NOT NULL DEFAULT 1,
    -- Derived by domain::clock::analyze whenever messages or marks change.
    clock_start     INTEGER,
    due_at          INTEGER,
    flags           INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX threads_by_clock ON threads (clock_start) WHERE clock_start IS NOT NULL;
-- A buyer has a handful of threads: one index on the alias serves both the alias + order ID and
-- the alias + subject look-ups of threading.
CREATE INDEX threads_by_buyer ON threads (buyer_alias);
CREATE INDEX threads_by_last_message ON threads (last_message_at);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    thread_id    INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    -- Message-ID without angle brackets, or 'sha256:<hex of the raw bytes>' when there is none.
    message_key  TEXT    NOT NULL UNIQUE,
    direction    TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
    -- buyer: needs a reply; seller: a reply; auto: an auto-reply; other: needs none.
    role         TEXT    NOT NULL CHECK (role IN ('buyer', 'seller', 'auto', 'other')),
    from_addr    TEXT,
    from_name    TEXT,
    to_addr      TEXT,
    subject      TEXT    NOT NULL DEFAULT '',
    sent_at      INTEGER NOT NULL,
    delivered_at INTEGER,
    body         TEXT    NOT NULL DEFAULT '',
    order_id     TEXT,
    flags        INTEGER NOT NULL DEFAULT 0,
    -- Derived for buyer messages: when and how the message was resolved.
    resolved_at  INTEGER,
    resolution   TEXT CHECK (resolution IN ('replied', 'no_response_needed')),
    source       TEXT,
    imported_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_by_thread ON messages (thread_id, sent_at);
CREATE INDEX buyer_messages_by_time ON messages (sent_at) WHERE role = 'buyer';

-- The message exactly as it arrived, kept apart so that listing messages stays cheap.
CREATE TABLE message_raw (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    raw        BLOB    NOT NULL
) STRICT;

-- In-Reply-To and References of each message, so a reply imported before its parent still
-- finds its thread when the parent arrives.
CREATE TABLE message_refs (
    ref_key    TEXT    NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (ref_key, message_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    filename     TEXT,
    content_type TEXT,
    size         INTEGER NOT NULL
) STRICT;
CREATE INDEX attachments_by_message ON attachments (message_id);

CREATE TABLE thread_asins (
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    asin      TEXT    NOT NULL,
    PRIMARY KEY (thread_id, asin)
) STRICT, WITHOUT ROWID;
CREATE INDEX thread_asins_by_asin ON thread_asins (asin);

-- Seller decisions that move the clock; undone marks are kept for the timeline.
CREATE TABLE marks (
    id        INTEGER PRIMARY KEY,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    kind      TEXT    NOT NULL CHECK (kind IN ('no_response_needed', 'clock_opened')),
    at        INTEGER NOT NULL,
    undone_at INTEGER
) STRICT;
CREATE INDEX marks_by_thread ON marks (thread_id, at);

-- The thread's timeline of seller actions (received/replied come from messages).
CREATE TABLE events (
    id        INTEGER PRIMARY KEY,
    thread_id INTEGER NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_by_thread ON events (thread_id, at);

CREATE TABLE orders (
    order_id            TEXT PRIMARY KEY,
    marketplace         TEXT,
    purchased_at        INTEGER,
    last_updated_at     INTEGER,
    status              TEXT,
    fulfillment_channel TEXT CHECK (fulfillment_channel IN ('merchant', 'amazon')),
    latest_ship_at      INTEGER,
    shipped_at          INTEGER,
    delivered_at        INTEGER,
    buyer_name          TEXT
) STRICT;
CREATE INDEX orders_by_purchase ON orders (purchased_at);

CREATE TABLE order_items (
    order_id     TEXT    NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,
    item_key     TEXT    NOT NULL,
    asin         TEXT,
    sku          TEXT,
    product_name TEXT,
    quantity     INTEGER,
    PRIMARY KEY (order_id, item_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    category   TEXT,
    language   TEXT    NOT NULL DEFAULT 'en',
    subject    TEXT,
    body       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE drafts (
    thread_id  INTEGER PRIMARY KEY REFERENCES threads (id) ON DELETE CASCADE,
    body       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
