-- sellerdesk schema version 5: complaint kinds on threads (classify.rs), with why.

-- The phrase that put the thread in its kind (NULL: set by the seller, or nothing matched).
ALTER TABLE threads ADD COLUMN category_reason TEXT;
-- 'rule': from the phrases on import, may still improve while it is 'other';
-- 'seller': chosen by the seller, never changed by an import.
ALTER TABLE threads ADD COLUMN category_by TEXT CHECK (category_by IN ('rule', 'seller'));
-- The inbox filtered by kind, newest first, and counts per kind.
CREATE INDEX threads_by_category ON threads (category, last_message_at) WHERE category IS NOT NULL;
