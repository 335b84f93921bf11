-- Whether the relay is throttling a process that sends (a rate limit such as SES's "454 Throttling
-- failure: Maximum sending rate exceeded"), for the commands and pages of the other processes:
-- `digest status`, the admin's edition page and /healthz read it here. The process that is throttled
-- paces itself (src/delivery/smtp/send-rate.ts) and keeps its row fresh while it lasts
-- (src/delivery/throttle-recorder.ts): one row per sending process, deleted when its throttling ends.
-- A row not refreshed for a minute belongs to a process that died and is not shown.
CREATE TABLE relay_throttles (
  sender       text PRIMARY KEY,
  since        timestamptz NOT NULL,
  rate         real,
  lowest_rate  real,
  refused      integer NOT NULL DEFAULT 0,
  reason       text NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now()
);
