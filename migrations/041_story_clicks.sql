-- Click tracking (CLICK_TRACKING, off by default). Aggregate counts per story and edition: no reader
-- is named. Only the `individual` mode writes click_events, which do name the reader; erasing a reader
-- deletes theirs.
CREATE TABLE story_clicks (
  edition_id  bigint NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
  story_id    bigint NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
  clicks      integer NOT NULL DEFAULT 0,
  PRIMARY KEY (edition_id, story_id)
);

CREATE TABLE click_events (
  id             bigserial PRIMARY KEY,
  edition_id     bigint NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
  story_id       bigint NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
  subscriber_id  bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
  at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX click_events_subscriber ON click_events (subscriber_id);
