-- The data model of design.md. Every state machine is a text column mirrored by a CHECK, so a bad
-- transition written by hand (psql) is refused by the database, not only by the code.

CREATE EXTENSION IF NOT EXISTS citext;

CREATE TABLE stories (
  id            bigserial PRIMARY KEY,
  url           text NOT NULL UNIQUE,
  kind          text NOT NULL CHECK (kind IN ('story', 'blog')),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  summary       text NOT NULL DEFAULT '',
  byline        text,
  section       text,
  image_url     text,
  published_at  timestamptz NOT NULL,
  updated_at    timestamptz,
  votes         integer NOT NULL DEFAULT 0 CHECK (votes >= 0),
  comments      integer NOT NULL DEFAULT 0 CHECK (comments >= 0),
  source        text NOT NULL DEFAULT 'api',
  created_at    timestamptz NOT NULL DEFAULT now(),
  modified_at   timestamptz NOT NULL DEFAULT now()
);
-- The ranking reads one kind inside one 24 h window: this index turns that into a range scan,
-- whatever the size of the archive (see test/integration/ranking.explain.test.ts).
CREATE INDEX stories_kind_published_at ON stories (kind, published_at);

CREATE TABLE subscribers (
  id                    bigserial PRIMARY KEY,
  email                 citext NOT NULL UNIQUE,
  name                  text,
  status                text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced')),
  timezone              text,
  send_hour             smallint CHECK (send_hour BETWEEN 0 AND 23),
  frequency             text NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'weekly')),
  weekday               smallint CHECK (weekday BETWEEN 0 AND 6),
  -- Which digest sections the reader wants; the edition is rendered once per distinct choice.
  sections              text[] NOT NULL DEFAULT ARRAY['stories', 'blogs'],
  -- Bumped on every resubscribe so links from an earlier subscription cannot act on the new one.
  token_version         integer NOT NULL DEFAULT 0,
  confirmation_sent_at  timestamptz,
  confirmed_at          timestamptz,
  unsubscribed_at       timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscribers_active ON subscribers (id) WHERE status = 'active';

CREATE TABLE editions (
  id            bigserial PRIMARY KEY,
  date          date NOT NULL,
  slot          text NOT NULL,
  status        text NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'rendering', 'sending', 'sent', 'empty', 'expired', 'paused', 'failed')),
  send_at       timestamptz NOT NULL,
  window_start  timestamptz NOT NULL,
  window_end    timestamptz NOT NULL,
  subject       text,
  html          text,
  text          text,
  story_ids     bigint[] NOT NULL DEFAULT '{}',
  error         text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (date, slot)
);

CREATE TABLE subscriber_events (
  id             bigserial PRIMARY KEY,
  subscriber_id  bigint REFERENCES subscribers (id) ON DELETE SET NULL,
  type           text NOT NULL CHECK (type IN ('subscribed', 'confirmed', 'unsubscribed', 'resubscribed',
                                               'bounced', 'complained', 'erased', 'preferences', 'imported')),
  edition_id     bigint REFERENCES editions (id) ON DELETE SET NULL,
  reason         text,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriber_events_subscriber ON subscriber_events (subscriber_id, at);
CREATE INDEX subscriber_events_at ON subscriber_events (at);

CREATE TABLE deliveries (
  id               bigserial PRIMARY KEY,
  edition_id       bigint NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
  subscriber_id    bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  status           text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'sending', 'sent', 'retry', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_until      timestamptz,
  message_id       text,
  error            text,
  sent_at          timestamptz,
  -- One row per reader per edition: the database, not the code, forbids a second copy.
  UNIQUE (edition_id, subscriber_id)
);
-- Workers claim only what is due; sent and failed rows (the vast majority) stay out of this index.
CREATE INDEX deliveries_due ON deliveries (edition_id, next_attempt_at)
  WHERE status IN ('queued', 'retry', 'sending');

-- Addresses never to be mailed again (hard bounces, complaints, erasure). Only a hash is kept,
-- so an erased reader's address is not stored anywhere.
CREATE TABLE suppressions (
  email_hash  text PRIMARY KEY,
  reason      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
