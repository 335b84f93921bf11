-- Erasing a reader (right to erasure) deleted their delivery rows with them, so past editions'
-- sent and failed counts dropped after the fact. The rows now stay, anonymous: the subscriber id
-- becomes NULL and nothing personal is left on them (the address was only ever on subscribers).
ALTER TABLE deliveries ALTER COLUMN subscriber_id DROP NOT NULL;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_subscriber_id_fkey;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_subscriber_id_fkey
  FOREIGN KEY (subscriber_id) REFERENCES subscribers (id) ON DELETE SET NULL;
