//! The Python client library (`clients/python`): its pytest suite, run against the `detente`
//! binary Cargo built (each test starts `detente serve` on a free loopback port with a
//! temporary SQLite database).
//!
//! Needs a Python 3.10 or newer with pytest and `websockets` (the client's dependency):
//! `DETENTE_PYTHON`, else the virtualenv `.ci/run` makes (`${TMPDIR:-/tmp}/detente-python`),
//! else `python3`. The client itself is imported from this checkout (`PYTHONPATH`). When
//! something is missing the test prints SKIPPED and passes, except under CI (`CI` set), where
//! it fails. `.ci/run` makes the virtualenv.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The whole suite takes about 15 s; past this it is stuck.
const LIMIT: Duration = Duration::from_secs(300);

/// Prints to the real stderr: the test harness captures `eprintln!` of passing tests, and a
/// skip must be seen.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate lives in the workspace")
        .to_path_buf()
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("DETENTE_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = std::env::temp_dir().join("detente-python/bin/python");
    if venv.is_file() {
        return venv;
    }
    PathBuf::from("python3")
}

/// `PYTHONPATH` with the client's sources first.
fn python_path(root: &Path) -> std::ffi::OsString {
    let mut paths = vec![root.join("clients/python/src")];
    if let Some(old) = std::env::var_os("PYTHONPATH") {
        paths.extend(std::env::split_paths(&old));
    }
    std::env::join_paths(paths).expect("a PYTHONPATH")
}

/// What the suite needs and this Python lacks, as a short description.
fn missing(python: &Path, root: &Path) -> Option<String> {
    let check = "import sys\n\
                 assert sys.version_info >= (3, 10), 'Python ' + sys.version.split()[0]\n\
                 import pytest, websockets, detente_client\n";
    match Command::new(python)
        .args(["-c", check])
        .env("PYTHONPATH", python_path(root))
        .output()
    {
        Err(e) => Some(format!("{} ({e})", python.display())),
        Ok(out) if !out.status.success() => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("").trim().to_string();
            Some(format!(
                "Python 3.10+ with pytest and websockets at {} ({last})",
                python.display()
            ))
        }
        Ok(_) => None,
    }
}

#[test]
fn python_client_suite() {
    let root = repo_root();
    let python = python();
    if let Some(what) = missing(&python, &root) {
        let fix = "make a virtualenv with `pip install -e 'clients/python[test]'` and set \
                   DETENTE_PYTHON to its python (.ci/run does)";
        if std::env::var_os("CI").is_some() {
            panic!("the Python client's tests cannot run under CI: missing {what}; {fix}");
        }
        say(&format!(
            "\nSKIPPED: the Python client's tests need {what}; {fix}\n"
        ));
        return;
    }

    say(&format!(
        "python client tests: {} -m pytest clients/python/tests",
        python.display()
    ));
    let mut child = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "clients/python/tests",
        ])
        .current_dir(&root)
        .env("DETENTE_BIN", env!("CARGO_BIN_EXE_detente"))
        .env("PYTHONPATH", python_path(&root))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .spawn()
        .expect("run python -m pytest");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for pytest") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the Python client's tests took over {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "the Python client's tests failed ({status}); see the output above"
    );
}
