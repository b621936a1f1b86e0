-- sellerdesk schema version 4: per-day counts behind the account metrics (store::metric_days),
-- kept current on import. Filled by the migration's hook from the records already stored.

-- What the small tables hold against an order; only orders with something against them.
CREATE TABLE order_defects (
    order_id            TEXT    PRIMARY KEY,
    -- store::metric_days::flag bits.
    flags               INTEGER NOT NULL,
    -- A cancellation by the seller counts for PCR only before shipping.
    seller_cancelled_at INTEGER
) STRICT, WITHOUT ROWID;

-- Per UTC day and marketplace ('' when unknown); days are floor(seconds / 86400).
CREATE TABLE metric_days_purchase (
    day            INTEGER NOT NULL,
    marketplace    TEXT    NOT NULL,
    orders         INTEGER NOT NULL,
    merchant       INTEGER NOT NULL,
    odr_defects    INTEGER NOT NULL,
    refunded       INTEGER NOT NULL,
    seller_cancels INTEGER NOT NULL,
    -- Imperfect whatever `now` is (orders unconfirmed past their latest ship date are counted
    -- live).
    imperfect      INTEGER NOT NULL,
    PRIMARY KEY (day, marketplace)
) STRICT, WITHOUT ROWID;

-- Seller-fulfilled orders not cancelled, by latest ship date.
CREATE TABLE metric_days_due (
    day         INTEGER NOT NULL,
    marketplace TEXT    NOT NULL,
    due         INTEGER NOT NULL,
    -- Confirmed after the latest ship date.
    late        INTEGER NOT NULL,
    PRIMARY KEY (day, marketplace)
) STRICT, WITHOUT ROWID;

CREATE TABLE metric_days_shipped (
    day         INTEGER NOT NULL,
    marketplace TEXT    NOT NULL,
    shipments   INTEGER NOT NULL,
    valid       INTEGER NOT NULL,
    PRIMARY KEY (day, marketplace)
) STRICT, WITHOUT ROWID;

CREATE TABLE metric_days_rated (
    day         INTEGER NOT NULL,
    marketplace TEXT    NOT NULL,
    ratings     INTEGER NOT NULL,
    positive    INTEGER NOT NULL,
    -- Ratings from a source that lists every rating (positive ones included).
    all_ratings INTEGER NOT NULL,
    PRIMARY KEY (day, marketplace)
) STRICT, WITHOUT ROWID;

-- Days whose counts changed and are not recomputed yet: read exactly until they are.
CREATE TABLE metric_dirty (
    kind TEXT    NOT NULL CHECK (kind IN ('purchase', 'due', 'shipped', 'rated')),
    day  INTEGER NOT NULL,
    PRIMARY KEY (kind, day)
) STRICT, WITHOUT ROWID;

-- Seller-fulfilled orders not confirmed yet: the part of LSR and POP that depends on `now`.
CREATE INDEX orders_unshipped ON orders (latest_ship_at, purchased_at, marketplace, order_id)
    WHERE fulfillment_channel = 'merchant' AND shipped_at IS NULL AND latest_ship_at IS NOT NULL;

-- Superseded by orders_by_purchase_covering (same leading column): one index less to write
-- per imported order.
DROP INDEX orders_by_purchase;
