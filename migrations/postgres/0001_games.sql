-- Games, seats, the append-only event log and the command table (idempotency).
-- Times are milliseconds since the Unix epoch; ids are UUID text.

CREATE TABLE games (
    id                 TEXT PRIMARY KEY,
    join_code          TEXT NOT NULL UNIQUE,
    scenario           TEXT NOT NULL,
    control_token_hash BYTEA NOT NULL,
    created_at         BIGINT NOT NULL,
    -- Sequence of the last event appended; the next event gets last_seq + 1 (gapless).
    last_seq           BIGINT NOT NULL DEFAULT 0,
    -- Absolute deadline of the current phase, re-armed after a restart.
    deadline_at        BIGINT,
    ended              BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE seats (
    id         TEXT PRIMARY KEY,
    game_id    TEXT NOT NULL REFERENCES games (id),
    -- faction | control | observer
    role       TEXT NOT NULL,
    faction    TEXT,
    name       TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX seats_game ON seats (game_id);

CREATE TABLE events (
    game_id    TEXT NOT NULL REFERENCES games (id),
    seq        BIGINT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (game_id, seq)
);

CREATE TABLE commands (
    game_id      TEXT NOT NULL REFERENCES games (id),
    seat_id      TEXT NOT NULL REFERENCES seats (id),
    client_id    TEXT NOT NULL,
    request_hash BYTEA NOT NULL,
    -- The answer given: an ack with its sequence, or an error.
    result       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (game_id, seat_id, client_id)
);
