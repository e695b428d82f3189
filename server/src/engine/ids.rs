//! Identifier newtypes. Every name in a scenario file (faction, variable, action, clause kind,
//! event, parameter, preset) gets its own type so that an action id can never be passed where a
//! variable id is expected. Ids are shared strings (`Arc<str>`): bots copy them thousands of
//! times a game, and a copy should not allocate.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, Eq, PartialOrd, Ord, Serialize, Deserialize, Default, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub Arc<str>);

        impl $name {
            pub fn new(s: impl AsRef<str>) -> Self {
                Self(Arc::from(s.as_ref()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        // Equal when they share the string (an id copied from the scenario), or else by text.
        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
            }
        }
        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(Arc::from(s))
            }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(Arc::from(s))
            }
        }
    };
}

id_type!(
    /// A faction of the scenario, e.g. `russia`, `us_nato`, `csto`.
    FactionId
);
id_type!(
    /// A state variable, e.g. `tension`.
    VarId
);
id_type!(
    /// An action in the scenario's catalogue, e.g. `iskander_kaliningrad`.
    ActionId
);
id_type!(
    /// A clause kind of the scenario's agreement catalogue.
    ClauseKindId
);
id_type!(
    /// A scheduled or random event of the scenario's deck.
    EventId
);
id_type!(
    /// A model parameter, e.g. `pk`.
    ParamId
);
