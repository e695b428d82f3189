//! End-to-end tests of the game server: the real server, in process on 127.0.0.1:0 (or the real
//! `detente` binary as a child process), real WebSocket clients (tokio-tungstenite) and a tiny
//! HTTP/1.1 client, against a fresh SQLite file or a fresh Postgres database per test.
//!
//! Postgres: `DETENTE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`);
//! each test makes its own database `detente_test_<uuid>` and drops it. When no Postgres is
//! reachable the Postgres tests print `SKIPPED …` and pass, unless `CI` is set: then they fail.
//!
//! Games are created without deadlines so that only the tests move them on.
//!
//! One module per concern; what they share (databases, the server in process and as the real
//! binary, the HTTP and WebSocket clients, commands, the secrecy check) is in `harness`.

mod harness;

mod agents;
mod bad_input;
mod bots;
mod branches;
mod class_console;
mod classes;
mod database_outage;
mod deadlines;
mod full_game;
mod idempotency;
mod languages;
mod limits;
mod lobby;
mod moderation;
mod nodes;
mod reconnect;
mod research;
mod rest;
mod restart;
mod sigkill;
mod slow_reader;
mod teams;
