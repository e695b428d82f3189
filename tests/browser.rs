//! Browser tests: the client in `web/`, as embedded in the `detente` binary, driven in real
//! headless Chromium by `tests/browser/run.mjs` (Playwright's `playwright-core` and `axe-core`).
//!
//! Needs `node`, Chromium (`/usr/bin/chromium`, or the path in `CHROMIUM`) and the test's node
//! modules (`npm ci --prefix tests/browser`). When one is missing the test prints SKIPPED and
//! passes, except under CI (`CI` set), where it fails. `.ci/run` installs all three.
//!
//! Screenshots of every main view go to `target/browser-screenshots/` (or
//! `BROWSER_SCREENSHOT_DIR`); the run prints the folder and a table of timings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Prints to the real stderr: the test harness captures `eprintln!` of passing tests, and a
/// skip or the screenshot folder must be seen.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate lives in the workspace")
        .to_path_buf()
}

/// What the browser tests need and do not have, as short descriptions.
fn missing(root: &Path, chromium: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !node_ok {
        missing.push("node (Node.js 18 or newer)".to_string());
    }
    if !chromium.is_file() {
        missing.push(format!("Chromium at {}", chromium.display()));
    }
    for module in ["playwright-core", "axe-core"] {
        let dir = root.join("tests/browser/node_modules").join(module);
        if !dir.join("package.json").is_file() {
            missing.push(format!(
                "the node module {module} in tests/browser/node_modules"
            ));
        }
    }
    missing
}

#[test]
fn browser_suite() {
    let root = repo_root();
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    let missing = missing(&root, &chromium);
    if !missing.is_empty() {
        let what = missing.join(", ");
        let fix = "run `npm ci --prefix tests/browser` and `apt-get install chromium` \
                   (or set CHROMIUM to a Chromium binary)";
        if std::env::var_os("CI").is_some() {
            panic!("browser tests cannot run under CI: missing {what}; {fix}");
        }
        say(&format!("\nSKIPPED: browser tests need {what}; {fix}\n"));
        return;
    }

    let screenshots = std::env::var_os("BROWSER_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/browser-screenshots"));
    std::fs::create_dir_all(&screenshots).expect("create the screenshot folder");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = std::env::temp_dir().join(format!("detente-browser-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("create a temporary folder");

    say(&format!(
        "browser tests: screenshots in {}",
        screenshots.display()
    ));
    let status = Command::new("node")
        .arg(root.join("tests/browser/run.mjs"))
        .current_dir(&root)
        .env("DETENTE_BIN", env!("CARGO_BIN_EXE_detente"))
        .env("DB_DIR", &tmp)
        .env("SCREENSHOT_DIR", &screenshots)
        .env("CHROMIUM", &chromium)
        .status()
        .expect("run node tests/browser/run.mjs");
    if status.success() {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        say(&format!(
            "browser tests: server logs and database kept in {}",
            tmp.display()
        ));
    }
    say(&format!(
        "browser tests: screenshots in {}",
        screenshots.display()
    ));
    assert!(
        status.success(),
        "browser tests failed ({status}); see the output above"
    );
}
