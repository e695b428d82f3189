//! The scenarios a server or a command can use: those built into the binary and files,
//! each parsed and validated before use.

use crate::engine::scenario::{Scenario, MISSILE_DEFENCE_2013};
use crate::engine::validate::{parse_and_validate, ScenarioError};
use anyhow::{anyhow, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Scenarios shipped inside the binary: (id, source text).
pub const BUILT_IN: &[(&str, &str)] = &[("missile-defence-2013", MISSILE_DEFENCE_2013)];

/// Parses and validates a built-in scenario by id.
pub fn built_in(id: &str) -> Result<Arc<Scenario>> {
    let (name, src) = BUILT_IN.iter().find(|(n, _)| *n == id).ok_or_else(|| {
        anyhow!(
            "unknown scenario \"{id}\"; built in: {}",
            BUILT_IN
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    parse_and_validate(&format!("{name} (built in)"), src)
        .map(Arc::new)
        .map_err(errors_to_anyhow)
}

/// Loads a scenario from a file, validating it.
pub fn load_file(path: &Path) -> Result<Arc<Scenario>> {
    let src = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read scenario file {}", path.display()))?;
    parse_and_validate(&path.display().to_string(), &src)
        .map(Arc::new)
        .map_err(errors_to_anyhow)
}

/// Scenario errors as one error, one problem per line.
fn errors_to_anyhow(errs: Vec<ScenarioError>) -> anyhow::Error {
    anyhow!(
        "{}",
        errs.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// The built-in scenarios and those of `files`, by id (a file may replace a built-in one).
pub fn catalogue(files: &[PathBuf]) -> Result<BTreeMap<String, Arc<Scenario>>> {
    let mut out = BTreeMap::new();
    for (id, _) in BUILT_IN {
        out.insert((*id).to_owned(), built_in(id)?);
    }
    for path in files {
        let s = load_file(path)?;
        out.insert(s.id.clone(), s);
    }
    Ok(out)
}
