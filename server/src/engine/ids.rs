//! Identifier newtypes. Every name in a scenario file (faction, variable, action, clause kind,
//! event, parameter, preset) gets its own type so that an action id can never be passed where a
//! variable id is expected.

use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(s: impl Into<String>) -> Self {
                Self(s.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
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
                Self(s.to_owned())
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
