-- sellerdesk schema version 10: messages the seller started (proactive), with their reason:
-- Amazon allows them for a few reasons only, and one review request per order. Keyed by the
-- message's key, written with the message in one transaction.
CREATE TABLE proactive_messages (
    message_key TEXT    PRIMARY KEY
                REFERENCES messages (message_key) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    order_id    TEXT    NOT NULL,
    reason      TEXT    NOT NULL CHECK (reason IN ('fulfilment_issue', 'order_information',
                    'review_request', 'custom_design', 'delivery_schedule', 'invoice')),
    sent_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX proactive_by_order ON proactive_messages (order_id, reason);
