//! Prints the literals the default scan's prefilter searches in HttpProxy and IIS logs, one per
//! line (deduplicated, any case), for `bench/run.sh`'s reference row: ripgrep doing the same
//! literal search (`rg -i -F -f`) shows what that search alone costs. The indicator addresses are
//! not among them: they are matched on the client-address column (`src/sources/address.rs`).
//!
//!     cargo run --release --example prefilter_literals > lits.txt

use exhunt::detect::literals_for;
use exhunt::sources::SourceKind;
use std::collections::BTreeSet;

fn main() {
    let lits: BTreeSet<String> = [SourceKind::HttpProxy, SourceKind::IisW3c]
        .into_iter()
        .flat_map(literals_for)
        .map(str::to_ascii_lowercase)
        .collect();
    for l in lits {
        println!("{l}");
    }
}
