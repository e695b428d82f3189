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
