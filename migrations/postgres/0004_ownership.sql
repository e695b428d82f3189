-- Game ownership (decision record 0012): the node that owns a live game, the fencing epoch it
-- holds (raised at every change of owner; an append must name it) and until when its lease
-- runs, in the database's clock (milliseconds since the Unix epoch).
ALTER TABLE games ADD COLUMN owner_node TEXT;
ALTER TABLE games ADD COLUMN owner_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE games ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
-- The sweep for games to take over (live, with a deadline, lease run out) reads this.
CREATE INDEX games_to_take ON games (lease_until) WHERE ended = 0 AND deadline_at IS NOT NULL;
