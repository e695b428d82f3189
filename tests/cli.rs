//! End-to-end tests of the `detente` binary's offline subcommands: `simulate` against a golden
//! file, and `scenario check` on good and broken files.
//!
//! Regenerate the golden file after an intended change of rules or scenario with
//! `UPDATE_GOLDEN=1 cargo test --test cli`, and explain the change in the commit.

use std::path::PathBuf;
use std::process::Command;

fn detente(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_detente"))
        .args(args)
        .output()
        .expect("run detente")
}

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/golden")
        .join(name)
}

fn check_golden(name: &str, args: &[&str]) {
    let out = detente(args);
    assert!(
        out.status.success(),
        "detente {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = golden(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &out.stdout).expect("write golden");
    }
    let want = std::fs::read(&path).expect("golden file (UPDATE_GOLDEN=1 to create)");
    assert!(
        out.stdout == want,
        "output of detente {args:?} differs from {}; if the change is intended, run with UPDATE_GOLDEN=1",
        path.display()
    );
}

#[test]
fn simulate_matches_golden_json() {
    check_golden(
        "simulate-seed-42.jsonl",
        &[
            "simulate",
            "--seed",
            "42",
            "--games",
            "3",
            "--bots",
            "russia=hawk,us_nato=pragmatist,csto=dove",
        ],
    );
}

#[test]
fn simulate_matches_golden_csv() {
    check_golden(
        "simulate-seed-7.csv",
        &[
            "simulate",
            "--seed",
            "7",
            "--games",
            "2",
            "--format",
            "csv",
            "--preset",
            "pessimistic",
        ],
    );
}

#[test]
fn simulate_is_byte_identical_across_runs() {
    let args = [
        "simulate",
        "--seed",
        "5",
        "--games",
        "4",
        "--bots",
        "us_nato=hawk",
    ];
    let a = detente(&args);
    let b = detente(&args);
    assert!(a.status.success());
    assert_eq!(a.stdout, b.stdout);
    let c = detente(&[
        "simulate",
        "--seed",
        "6",
        "--games",
        "4",
        "--bots",
        "us_nato=hawk",
    ]);
    assert_ne!(
        a.stdout, c.stdout,
        "a different seed should give different games"
    );
}

#[test]
fn simulate_rejects_bad_bots() {
    let out = detente(&["simulate", "--bots", "rusia=hawk"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown faction \"rusia\""), "{err}");
    let out = detente(&["simulate", "--bots", "russia=falcon"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown temperament"));
    let out = detente(&["simulate", "--bots", "russia=hawk,russia=dove"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("names \"russia\" twice"));
}

fn default_scenario() -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/missile-defence-2013.toml"),
    )
    .expect("default scenario")
}

#[test]
fn scenario_check_accepts_the_default_scenario() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/missile-defence-2013.toml");
    let out = detente(&["scenario", "check", path.to_str().expect("utf-8 path")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn scenario_check_names_file_path_and_suggestion() {
    // Misspell the first effect variable "tension" in the file.
    let src = default_scenario();
    let broken = src.replacen("var = \"tension\"", "var = \"tenison\"", 1);
    assert_ne!(
        src, broken,
        "the default scenario should have a tension effect"
    );
    let dir = std::env::temp_dir().join(format!("detente-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("broken.toml");
    std::fs::write(&file, broken).expect("write");
    let out = detente(&["scenario", "check", file.to_str().expect("utf-8 path")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("broken.toml"), "{err}");
    assert!(
        err.contains(".var: unknown state variable \"tenison\""),
        "{err}"
    );
    assert!(err.contains("did you mean \"tension\""), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes `text` to a scenario file of its own and runs `detente scenario check` on it.
fn check(name: &str, text: &str) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!("detente-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, text).expect("write");
    let out = detente(&["scenario", "check", file.to_str().expect("utf-8 path")]);
    std::fs::remove_dir_all(&dir).ok();
    out
}

#[test]
fn scenario_check_reports_the_default_scenario_complete_in_russian() {
    let out = check("complete", &default_scenario());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("warning"), "{text}");
    assert!(text.contains("; languages en, ru (complete)"), "{text}");
}

#[test]
fn scenario_check_warns_of_missing_translations_and_refuses_wrong_ones() {
    let src = default_scenario();
    // Without translations: nothing to report.
    let at = src.find("\n[locales.ru]").expect("a Russian block");
    let english = &src[..at];
    let out = check("english", english);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("warning") && !text.contains("languages"),
        "{text}"
    );

    // A partial translation passes, with a warning per text left out.
    let description = "description = \"Достроить наземный объект в Румынии";
    let line = src
        .lines()
        .find(|l| l.starts_with(description))
        .expect("the Russian description of deveselu");
    let partial = src.replacen(&format!("{line}\n"), "", 1);
    let out = check("partial", &partial);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(
        warnings[0].ends_with(
            "partial.toml: locales.ru.actions.deveselu.description: warning: not translated; a game in \"ru\" shows the text in \"en\""
        ),
        "{text}"
    );
    assert!(
        text.contains("; languages en, ru (1 text not translated)"),
        "{text}"
    );

    // A translation of an action that does not exist, and a bot line that lost a placeholder:
    // errors, and the check fails.
    let wrong = src
        .replacen(
            "[locales.ru.actions.deveselu]",
            "[locales.ru.actions.deveselo]",
            1,
        )
        .replacen(
            "cost = \"сторона «{who}» потратила бы {amount} ед.",
            "cost = \"сторона «{who}» потратила бы много ед.",
            1,
        );
    let out = check("wrong", &wrong);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wrong.toml: locales.ru.actions.deveselo: the scenario has no action \"deveselo\" to translate — did you mean \"deveselu\"?"),
        "{err}"
    );
    assert!(
        err.contains("wrong.toml: locales.ru.bot_chat.cost: placeholders differ from the original line's: it has {amount}, {who}, the translation {who}"),
        "{err}"
    );
    assert!(err.contains("2 problems found"), "{err}");
}

#[test]
fn simulate_plays_in_russian() {
    let out = detente(&["simulate", "--seed", "3", "--language", "ru"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Сторона «") || text.contains("Выносим на обсуждение"),
        "{text}"
    );
    let out = detente(&["simulate", "--language", "de"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no language \"de\""), "{err}");
}

#[test]
fn scenario_list_and_show() {
    let out = detente(&["scenario", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("missile-defence-2013"));
    let out = detente(&["scenario", "show", "missile-defence-2013"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Clause kinds:") && text.contains("Events:"),
        "{text}"
    );
    let out = detente(&["scenario", "show", "no-such-scenario"]);
    assert!(!out.status.success());
}

/// The README's first command is `cargo run --release`: with two binaries in the package,
/// cargo runs the server only if the manifest names it as the default (without `default-run`
/// it stops with "could not determine which binary to run").
#[test]
fn cargo_run_starts_the_server_binary() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--offline",
            "--format-version",
            "1",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let package = meta["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "detente"))
        .expect("the detente package");
    let bins: Vec<&str> = package["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bin"))
        })
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(bins.contains(&"detente"), "binaries: {bins:?}");
    if bins.len() > 1 {
        assert_eq!(
            package["default_run"], "detente",
            "`cargo run` must start the server; binaries: {bins:?}"
        );
    }
}
