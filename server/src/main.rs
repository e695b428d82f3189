//! The `detente` binary: thin. Parses the command line and hands over to the library.

use anyhow::Result;
use clap::{Parser, Subcommand};
use detente::balance::{self, BalanceArgs, BalanceFormat};
use detente::cli::{self, Format, SimulateArgs};
use detente::scenarios;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Détente: a multiplayer negotiation wargame over European missile defence.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// What to do; without a subcommand, `serve`.
    #[command(subcommand)]
    command: Option<Cmd>,
}

/// `detente` with no subcommand: serve with flags from the environment and defaults.
#[derive(Parser)]
struct DefaultServe {
    #[command(flatten)]
    config: detente::config::ServeConfig,
}

// Parsed once at start-up: the size of the `Serve` variant (its limits) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// Run the game server (the default).
    Serve(detente::config::ServeConfig),
    /// Check, list and show scenarios.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCmd,
    },
    /// Play whole games with bots only and print each round's indices and scores.
    Simulate {
        /// Seed of the first game; game i uses seed + i.
        #[arg(long, env = "DETENTE_SEED", default_value_t = 1)]
        seed: u64,
        /// Number of games to play.
        #[arg(long, default_value_t = 1)]
        games: u32,
        /// Scenario file (TOML); the built-in default when absent.
        #[arg(long, env = "DETENTE_SCENARIO")]
        scenario: Option<PathBuf>,
        /// Bot temperaments, e.g. `russia=hawk,us_nato=dove`; unnamed factions are pragmatists.
        #[arg(long, default_value = "")]
        bots: String,
        /// Model preset (e.g. optimistic, pessimistic); the scenario's default when absent.
        #[arg(long)]
        preset: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Language of the scenario's texts and the bots' lines (e.g. `ru`); the scenario's
        /// own when absent.
        #[arg(long)]
        language: Option<String>,
    },
    /// Play seeded bot games over every temperament mix and report the game's balance: wins,
    /// the security dilemma, index ranges, orders per temperament, crises, agreements.
    Balance {
        /// Games per temperament mix (every mix plays the same seeds).
        #[arg(long, default_value_t = 100)]
        games: u32,
        /// Seed of the first game of each mix; game i uses seed + i.
        #[arg(long, env = "DETENTE_SEED", default_value_t = 1)]
        seed: u64,
        /// Model preset (e.g. optimistic, pessimistic); the scenario's default when absent.
        #[arg(long)]
        preset: Option<String>,
        /// Scenario file (TOML); the built-in default when absent.
        #[arg(long, env = "DETENTE_SCENARIO")]
        scenario: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = BalanceFormat::Md)]
        format: BalanceFormat,
        /// Threads to play on (the output does not depend on it); all cores when absent.
        #[arg(long)]
        threads: Option<usize>,
    },
}

#[derive(Subcommand)]
enum ScenarioCmd {
    /// Validate a scenario file; exits non-zero and names each problem if it is invalid.
    Check { file: PathBuf },
    /// List the built-in scenarios.
    List,
    /// Describe a built-in scenario (by id) or a scenario file (by path).
    Show { id: String },
}

fn serve(config: detente::config::ServeConfig) -> Result<()> {
    init_tracing(config.log_format);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        let addr = listener.local_addr()?;
        let reach = detente::http::reach::Reach::new(config.public_url.as_deref(), addr)
            .map_err(anyhow::Error::msg)?;
        println!(
            "Détente is serving on http://{addr} (database: {})",
            detente::config::redact_url(&config.database_url())
        );
        for line in reach.announcement(addr) {
            println!("{line}");
        }
        detente::serve::serve(config, listener, detente::serve::signal()).await
    })
}

fn init_tracing(format: detente::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        detente::config::LogFormat::Json => builder.json().init(),
        detente::config::LogFormat::Text => builder.init(),
    }
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let command = match args.command {
        Some(c) => c,
        None => Cmd::Serve(DefaultServe::parse_from(["detente"]).config),
    };
    if let Cmd::Serve(config) = command {
        return serve(config);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match command {
        Cmd::Serve(_) => unreachable!("handled above"),
        Cmd::Scenario { command } => match command {
            ScenarioCmd::Check { file } => cli::scenario_check(&file, &mut out)?,
            ScenarioCmd::List => cli::scenario_list(&mut out)?,
            ScenarioCmd::Show { id } => {
                let path = PathBuf::from(&id);
                let s = if path.exists() {
                    scenarios::load_file(&path)?
                } else {
                    scenarios::built_in(&id)?
                };
                cli::scenario_show(&s, &mut out)?;
            }
        },
        Cmd::Simulate {
            seed,
            games,
            scenario,
            bots,
            preset,
            format,
            language,
        } => {
            let s = match scenario {
                Some(p) => scenarios::load_file(&p)?,
                None => scenarios::built_in("missile-defence-2013")?,
            };
            let s = match language {
                Some(lang) => s.in_language(&lang).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--language: {}",
                        detente::engine::game::unknown_language(&s, &lang)
                    )
                })?,
                None => s,
            };
            let bots = cli::parse_bots(&s, &bots)?;
            let args = SimulateArgs {
                seed,
                games,
                bots,
                preset,
                format,
            };
            cli::simulate(s, &args, &mut out, &mut std::io::stderr())?;
        }
        Cmd::Balance {
            games,
            seed,
            preset,
            scenario,
            format,
            threads,
        } => {
            let s = match scenario {
                Some(p) => scenarios::load_file(&p)?,
                None => scenarios::built_in("missile-defence-2013")?,
            };
            if games == 0 {
                anyhow::bail!("--games must be at least 1");
            }
            let args = BalanceArgs {
                games,
                seed,
                preset,
                threads: threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            };
            let report = balance::run(s, &args, &mut std::io::stderr())?;
            match format {
                BalanceFormat::Md => balance::write_md(&report, &mut out)?,
                BalanceFormat::Json => balance::write_json(&report, &mut out)?,
            }
        }
    }
    out.flush()?;
    Ok(())
}
