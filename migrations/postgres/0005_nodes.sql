-- Server nodes sharing the database (decision record 0012): the internal address where a node
-- answers the others (a request or WebSocket for a game it owns is forwarded there), and the
-- secret with which it signs what it forwards (the receiving node believes a forwarded
-- request's client address only with it). A node registers at start, with a new secret.
CREATE TABLE nodes (
    id TEXT PRIMARY KEY,
    internal_url TEXT NOT NULL,
    secret TEXT NOT NULL,
    started_at BIGINT NOT NULL
);
