//! Détente: a multiplayer negotiation wargame over European missile defence.
//!
//! `engine` is the pure rules engine; `cli` holds the `detente` subcommands and `balance` the
//! balance harness.

pub mod balance;
pub mod class;
pub mod cli;
pub mod config;
pub mod engine;
pub mod game;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod protocol;
pub mod scenarios;
pub mod serve;
pub mod store;
