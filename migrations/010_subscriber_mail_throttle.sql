-- "Manage my subscription" mails (and the "you are already subscribed" note a repeated sign-up
-- gets) are throttled to one per hour per address, like confirmations (confirmation_sent_at): the
-- UPDATE that sets this column is also the claim on the right to send, so two concurrent requests
-- cannot both mail.
ALTER TABLE subscribers ADD COLUMN manage_sent_at timestamptz;

-- Pending sign-ups are purged by age; this keeps that sweep off the active rows.
CREATE INDEX subscribers_pending ON subscribers (confirmation_sent_at) WHERE status = 'pending';
