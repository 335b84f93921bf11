-- Sign-up rate limits shared by every instance on one PostgreSQL (in-memory limits are per process,
-- so N instances behind a balancer allowed N times the limit). The key is a hash: the limits are
-- keyed by client IP and by address, and neither is kept here in clear.
CREATE TABLE rate_limits (
  key_hash  text PRIMARY KEY,
  hits      integer NOT NULL,
  reset_at  timestamptz NOT NULL
);
CREATE INDEX rate_limits_reset_at ON rate_limits (reset_at);
