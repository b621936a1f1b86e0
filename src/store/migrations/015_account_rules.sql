-- sellerdesk schema version 15: the account metrics as Amazon computes them
-- (docs/amazon-rules.md). Records from several files merge field by field, whatever the order
-- they were imported in; ODR per fulfilment channel with its parts; on-time delivery; removed
-- feedback; the claim outcomes Amazon distinguishes; Amazon's own figures with their ranges.
-- The migration's hook recomputes every per-day count from the records.

-- When each field of an order was last stated (the `last-updated-date` of the record that gave
-- it): a newer statement wins per field, a missing value never erases one. Orders stored before
-- take their one date for every field they have.
ALTER TABLE orders ADD COLUMN promised_delivery_at INTEGER;
ALTER TABLE orders ADD COLUMN marketplace_as_of INTEGER;
ALTER TABLE orders ADD COLUMN purchased_as_of INTEGER;
ALTER TABLE orders ADD COLUMN status_as_of INTEGER;
ALTER TABLE orders ADD COLUMN channel_as_of INTEGER;
ALTER TABLE orders ADD COLUMN latest_ship_as_of INTEGER;
ALTER TABLE orders ADD COLUMN promised_as_of INTEGER;
UPDATE orders SET
    marketplace_as_of = CASE WHEN marketplace IS NOT NULL THEN last_updated_at END,
    purchased_as_of = last_updated_at,
    status_as_of = CASE WHEN status IS NOT NULL THEN last_updated_at END,
    channel_as_of = last_updated_at,
    latest_ship_as_of = CASE WHEN latest_ship_at IS NOT NULL THEN last_updated_at END
WHERE last_updated_at IS NOT NULL;

-- Delivery dates from any file (the deliveries CSV, the All Orders `delivery-date`), kept even
-- when the order itself comes later; the order's `delivered_at` is the latest of them.
CREATE TABLE deliveries (
    order_id     TEXT    PRIMARY KEY,
    delivered_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO deliveries (order_id, delivered_at)
    SELECT order_id, delivered_at FROM orders WHERE delivered_at IS NOT NULL;

-- On-time delivery reads seller-fulfilled orders by promised date.
CREATE INDEX orders_by_promised
    ON orders (promised_delivery_at, fulfillment_channel, delivered_at, marketplace, order_id)
    WHERE promised_delivery_at IS NOT NULL;

-- Feedback Amazon (or the buyer) removed stops counting from then on.
ALTER TABLE feedback ADD COLUMN removed_at INTEGER;
CREATE INDEX feedback_removed ON feedback (removed_at, rated_at, order_id)
    WHERE removed_at IS NOT NULL;
DROP INDEX feedback_negative;

-- Claim outcomes as Amazon's ODR page lists them, and fraud chargebacks (not ODR defects).
CREATE TABLE claims_v15 (
    order_id  TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('a-to-z', 'chargeback', 'fraud-chargeback')),
    opened_at INTEGER NOT NULL,
    status    TEXT    NOT NULL CHECK (status IN ('open', 'withdrawn', 'denied',
                  'buy_shipping_protected', 'granted', 'refunded', 'withdrawn_after_decision')),
    PRIMARY KEY (order_id, kind, opened_at)
) STRICT, WITHOUT ROWID;
INSERT INTO claims_v15 SELECT order_id, kind, opened_at, status FROM claims;
DROP TABLE claims;
ALTER TABLE claims_v15 RENAME TO claims;

-- A cancellation whose initiator no file names.
CREATE TABLE cancellations_v15 (
    order_id     TEXT    PRIMARY KEY,
    cancelled_at INTEGER NOT NULL,
    cancelled_by TEXT    NOT NULL CHECK (cancelled_by IN ('seller', 'buyer', 'unknown')),
    reason       TEXT
) STRICT, WITHOUT ROWID;
INSERT INTO cancellations_v15 SELECT order_id, cancelled_at, cancelled_by, reason FROM cancellations;
DROP TABLE cancellations;
ALTER TABLE cancellations_v15 RENAME TO cancellations;

-- Amazon's own figures from the account health report: per marketplace, metric (`odr` is
-- seller-fulfilled, `odr_fba` Amazon-fulfilled) and report, with the reporting range Amazon
-- gives. The figures stored before are kept without a marketplace or range (nothing to compare
-- them with); importing the report again brings them complete.
CREATE TABLE amazon_figures (
    reported_at    INTEGER NOT NULL,
    marketplace_id TEXT    NOT NULL,
    metric         TEXT    NOT NULL,
    status         TEXT,
    rate           REAL,
    numerator      INTEGER,
    denominator    INTEGER,
    target         REAL,
    -- Amazon's reporting range (none when the report gives none).
    date_from      INTEGER,
    date_to        INTEGER,
    -- ODR's parts as Amazon counts them.
    negative       INTEGER,
    claims         INTEGER,
    chargebacks    INTEGER,
    PRIMARY KEY (metric, marketplace_id, reported_at)
) STRICT, WITHOUT ROWID;
INSERT INTO amazon_figures (reported_at, marketplace_id, metric, status, rate, target)
    SELECT reported_at, '', metric, status, rate, target FROM amazon_metrics;
DROP TABLE amazon_metrics;

-- Per-day counts with ODR and its parts per fulfilment channel, and on-time delivery.
DROP TABLE metric_days_purchase;
CREATE TABLE metric_days_purchase (
    day            INTEGER NOT NULL,
    marketplace    TEXT    NOT NULL,
    orders         INTEGER NOT NULL,
    merchant       INTEGER NOT NULL,
    odr_mfn        INTEGER NOT NULL,
    negative_mfn   INTEGER NOT NULL,
    atoz_mfn       INTEGER NOT NULL,
    chargeback_mfn INTEGER NOT NULL,
    odr_afn        INTEGER NOT NULL,
    negative_afn   INTEGER NOT NULL,
    atoz_afn       INTEGER NOT NULL,
    chargeback_afn INTEGER NOT NULL,
    refunded       INTEGER NOT NULL,
    seller_cancels INTEGER NOT NULL,
    imperfect      INTEGER NOT NULL,
    PRIMARY KEY (day, marketplace)
) STRICT, WITHOUT ROWID;

-- Seller-fulfilled, not cancelled orders with a promised and an actual delivery date, by
-- promised date.
CREATE TABLE metric_days_promised (
    day         INTEGER NOT NULL,
    marketplace TEXT    NOT NULL,
    counted     INTEGER NOT NULL,
    on_time     INTEGER NOT NULL,
    PRIMARY KEY (day, marketplace)
) STRICT, WITHOUT ROWID;

DROP TABLE metric_dirty;
CREATE TABLE metric_dirty (
    kind TEXT    NOT NULL CHECK (kind IN ('purchase', 'due', 'shipped', 'rated', 'promised')),
    day  INTEGER NOT NULL,
    PRIMARY KEY (kind, day)
) STRICT, WITHOUT ROWID;

-- A bounce imported before the reply it returns (one `import INBOX Sent` run reads the inbox
-- first): kept until that reply arrives, which then reopens its thread's clock.
CREATE TABLE pending_bounces (
    bounce_key TEXT    PRIMARY KEY,
    -- The Message-IDs it quotes, one per line.
    refers_to  TEXT    NOT NULL,
    -- The buyer address the returned reply was for, if it names one.
    recipient  TEXT,
    reason     TEXT    NOT NULL,
    at         INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
