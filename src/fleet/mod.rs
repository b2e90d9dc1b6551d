//! Many scans at once: reading back `report.json` files ([`load`]), the fleet view over many
//! servers ([`merge`]) and the weekly re-scan diff of one server ([`diff`]). Their outputs are
//! written by [`crate::report::fleet`].

pub mod diff;
pub mod load;
pub mod merge;
