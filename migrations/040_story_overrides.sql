-- An editor's say over one day's edition: pin a story into it, or keep a story out of it. Keyed by
-- the edition date, so it applies to every slot of that day and to the preview and `digest top`.
CREATE TABLE story_overrides (
  edition_date  date NOT NULL,
  story_id      bigint NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
  action        text NOT NULL CHECK (action IN ('pin', 'exclude')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (edition_date, story_id)
);
