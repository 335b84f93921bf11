-- The edition's lifecycle in one place (issue 12).

-- The cutoff is the edition's own, written when it is created (send_at + SEND_CUTOFF_HOURS) and moved
-- only by an operator's deliberate late send. The worker, the scheduler and `digest send` all read
-- this one value, so no two of them can disagree on when an edition stops being sent.
ALTER TABLE editions ADD COLUMN cutoff_at timestamptz;
UPDATE editions SET cutoff_at = send_at + interval '6 hours';
ALTER TABLE editions ALTER COLUMN cutoff_at SET NOT NULL;

-- When the edition started sending (rendering → sending): the archive's and RSS's "sent" time.
ALTER TABLE editions ADD COLUMN started_at timestamptz;
UPDATE editions SET started_at = updated_at WHERE status IN ('sending', 'sent', 'paused');

-- An operator sent it past its cutoff on purpose (`digest send --late`, the admin's "Send late").
ALTER TABLE editions ADD COLUMN sent_late boolean NOT NULL DEFAULT false;

-- The archive's and the view-in-browser pages' reads: published editions of a date, newest dates first.
CREATE INDEX editions_published ON editions (date DESC, send_at) WHERE status IN ('sending', 'sent', 'paused');
