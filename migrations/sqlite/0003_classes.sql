-- Classes (decision record 0011): a roster of students over ordinary games, its tables.
-- Times are milliseconds since the Unix epoch; ids are UUID text.

CREATE TABLE classes (
    id                 TEXT PRIMARY KEY,
    join_code          TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    scenario           TEXT NOT NULL,
    -- The teacher's choices (preset, team size, deadlines, bots for gaps, research use), JSON.
    settings           TEXT NOT NULL,
    teacher_token_hash BLOB NOT NULL UNIQUE,
    created_at         BIGINT NOT NULL,
    -- When the teacher started the class and its tables were created.
    started_at         BIGINT
);

CREATE TABLE class_members (
    id             TEXT PRIMARY KEY,
    class_id       TEXT NOT NULL REFERENCES classes (id),
    name           TEXT NOT NULL,
    -- The student's token; once seated, their seat in a table has the same hash.
    token_hash     BLOB NOT NULL UNIQUE,
    joined_at      BIGINT NOT NULL,
    -- Join order within the class (1, 2, …): joins in one millisecond keep their order.
    seq            BIGINT NOT NULL,
    -- Where the teacher put the student before Start (a table from 0, a faction), if anywhere.
    pinned_table   BIGINT,
    pinned_faction TEXT
);
CREATE UNIQUE INDEX class_members_order ON class_members (class_id, seq);

-- A class's tables are games with their number in the class.
ALTER TABLE games ADD COLUMN class_id TEXT REFERENCES classes (id);
ALTER TABLE games ADD COLUMN table_no BIGINT;
CREATE INDEX games_class ON games (class_id, table_no);
