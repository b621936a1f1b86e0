-- sellerdesk schema version 3: the records behind the account metrics (docs/amazon-rules.md).

-- Shipment confirmations: one per order ID + tracking number (VTR counts them so).
CREATE TABLE shipments (
    order_id    TEXT    NOT NULL,
    tracking    TEXT    NOT NULL DEFAULT '',
    shipped_at  INTEGER NOT NULL,
    carrier     TEXT,
    ship_method TEXT,
    -- Well-formed for its carrier (domain::account::valid_tracking), decided at import.
    valid       INTEGER NOT NULL,
    PRIMARY KEY (order_id, tracking)
) STRICT, WITHOUT ROWID;
CREATE INDEX shipments_by_date ON shipments (shipped_at, valid, order_id);

-- Feedback: one per order (or per rater and date when the order is unknown).
CREATE TABLE feedback (
    feedback_key TEXT    PRIMARY KEY,
    order_id     TEXT,
    rated_at     INTEGER NOT NULL,
    rating       INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    comments     TEXT,
    response     TEXT,
    rater_email  TEXT,
    -- 1: from a source that lists every rating (the project's CSV); 0: Amazon's report
    -- (neutral and negative only).
    all_ratings  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX feedback_by_date ON feedback (rated_at, rating, all_ratings, order_id);
CREATE INDEX feedback_by_order ON feedback (order_id) WHERE order_id IS NOT NULL;
-- The orders with negative feedback, read whole by ODR and POP.
CREATE INDEX feedback_negative ON feedback (order_id) WHERE rating <= 2 AND order_id IS NOT NULL;

CREATE TABLE claims (
    order_id  TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('a-to-z', 'chargeback')),
    opened_at INTEGER NOT NULL,
    status    TEXT    NOT NULL CHECK (status IN ('open', 'granted', 'denied', 'withdrawn')),
    PRIMARY KEY (order_id, kind, opened_at)
) STRICT, WITHOUT ROWID;

CREATE TABLE refunds (
    order_id    TEXT    NOT NULL,
    refunded_at INTEGER NOT NULL,
    amount      TEXT,
    PRIMARY KEY (order_id, refunded_at)
) STRICT, WITHOUT ROWID;

CREATE TABLE cancellations (
    order_id     TEXT    PRIMARY KEY,
    cancelled_at INTEGER NOT NULL,
    cancelled_by TEXT    NOT NULL CHECK (cancelled_by IN ('seller', 'buyer')),
    reason       TEXT
) STRICT, WITHOUT ROWID;

-- Account Health Rating as the seller reads it in Seller Central, and Amazon's own figures
-- from the account health report ("Amazon says").
CREATE TABLE account_health (
    id          INTEGER PRIMARY KEY,
    reported_at INTEGER NOT NULL,
    ahr         INTEGER,
    ahr_status  TEXT,
    source      TEXT    NOT NULL
) STRICT;
CREATE TABLE amazon_metrics (
    reported_at INTEGER NOT NULL,
    metric      TEXT    NOT NULL,
    status      TEXT,
    rate        REAL,
    target      REAL,
    PRIMARY KEY (metric, reported_at)
) STRICT, WITHOUT ROWID;

-- The metrics read orders by purchase date and by latest ship date with these columns only.
CREATE INDEX orders_by_purchase_covering
    ON orders (purchased_at, fulfillment_channel, marketplace, latest_ship_at, shipped_at, order_id);
-- The joins from the small tables (feedback, claims, refunds, ...) find an order's dates here
-- without reading its row.
CREATE INDEX orders_by_id_covering
    ON orders (order_id, purchased_at, fulfillment_channel, marketplace, latest_ship_at, shipped_at);
CREATE INDEX orders_by_latest_ship
    ON orders (latest_ship_at, fulfillment_channel, shipped_at, marketplace, order_id)
    WHERE latest_ship_at IS NOT NULL;
-- Orders whose buyer wrote (POP), without reading thread rows.
CREATE INDEX threads_by_order ON threads (order_id, buyer_alias) WHERE order_id IS NOT NULL;

-- The late response rate as an aggregate over an index alone (no table rows read).
DROP INDEX buyer_messages_by_time;
CREATE INDEX buyer_messages_by_time ON messages (sent_at, resolved_at, resolution)
    WHERE role = 'buyer';
