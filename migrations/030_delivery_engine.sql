-- The delivery engine (issue 6).

-- Which readers an edition is for: `daily` (DIGEST_CRON's slots, readers with no hour of their own),
-- `hourly` (readers who chose a send hour, grouped by the instant their local hour starts) or
-- `weekly` (weekly readers whose weekday it is). The deliveries INSERT … SELECT reads it.
ALTER TABLE editions ADD COLUMN kind text NOT NULL DEFAULT 'daily' CHECK (kind IN ('daily', 'hourly', 'weekly'));

-- How many times the relay's answer to a whole message was lost (connection dropped after the end
-- of DATA). Such a message may have been delivered: it is resent once, and counted here.
ALTER TABLE deliveries ADD COLUMN uncertain smallint NOT NULL DEFAULT 0;

-- The retry queue and the oldest lease, for `digest status`, without a scan of sent rows.
CREATE INDEX deliveries_edition_status ON deliveries (edition_id, status);
