//! The TypeScript types of the protocol, `clients/typescript/protocol.d.ts`, are generated from
//! `docs/protocol.schema.json` by `tests/browser/gen-types.mjs` (json-schema-to-typescript).
//! This test runs the generator in its check mode: it fails when the committed file is not
//! exactly what the schema gives, and says how to regenerate it.
//!
//! Needs `node` and the browser tests' node modules (`npm ci --prefix tests/browser`). When
//! one is missing the test prints SKIPPED and passes, except under CI (`CI` set), where it
//! fails, as `tests/browser.rs` does. `.ci/run` installs both.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The command that rewrites the file.
const REGENERATE: &str = "node tests/browser/gen-types.mjs";

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

/// What the generator needs and does not have, as short descriptions.
fn missing(root: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !node_ok {
        missing.push("node (Node.js 18 or newer)".to_string());
    }
    let module = "json-schema-to-typescript";
    if !root
        .join("tests/browser/node_modules")
        .join(module)
        .join("package.json")
        .is_file()
    {
        missing.push(format!(
            "the node module {module} in tests/browser/node_modules"
        ));
    }
    missing
}

#[test]
fn typescript_types_are_current() {
    let root = repo_root();
    let missing = missing(&root);
    if !missing.is_empty() {
        let what = missing.join(", ");
        let fix = "run `npm ci --prefix tests/browser`";
        if std::env::var_os("CI").is_some() {
            panic!("the TypeScript types cannot be checked under CI: missing {what}; {fix}");
        }
        say(&format!(
            "\nSKIPPED: checking clients/typescript/protocol.d.ts needs {what}; {fix}\n"
        ));
        return;
    }

    let out = Command::new("node")
        .arg(root.join("tests/browser/gen-types.mjs"))
        .arg("--check")
        .current_dir(&root)
        .output()
        .expect("run node tests/browser/gen-types.mjs --check");
    assert!(
        out.status.success(),
        "clients/typescript/protocol.d.ts is not what docs/protocol.schema.json gives \
         ({status}); regenerate it with `{REGENERATE}` and commit it.\n{stdout}{stderr}",
        status = out.status,
        stdout = String::from_utf8_lossy(&out.stdout),
        stderr = String::from_utf8_lossy(&out.stderr),
    );
}
