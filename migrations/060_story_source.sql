-- A story belongs to its source (issue 14; src/stories/story-source.ts). The source is now one of
-- `api`, `demo`, a feed's URL, or `file` for every local file import. Imports used to record the
-- path as typed, so a file imported again from another directory would have counted as a stranger
-- and changed nothing: those rows become `file`.
UPDATE stories SET source = 'file'
 WHERE source NOT IN ('api', 'demo', 'file') AND source !~* '^https?://';

-- An empty source would match no one and could never be updated again.
ALTER TABLE stories ADD CONSTRAINT stories_source_named CHECK (length(source) > 0);
