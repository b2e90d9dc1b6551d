//! The record a reader hands on, typed by its source, and where it came from: what the checks
//! and the timeline's sweep consume.

use super::ecp::EcpRecord;
use super::evtx::EvtxEvent;
use super::httpproxy;
use super::w3c::W3cRecord;

/// A record handed to checks, typed by its source.
pub enum Record<'a> {
    HttpProxy(&'a httpproxy::Record<'a>),
    /// A line of an IIS W3C log.
    Iis(&'a W3cRecord<'a>),
    Ecp(&'a EcpRecord),
    /// A line of an OAB generator log, or of any unrecognised text file.
    TextLine(&'a [u8]),
    Evtx(&'a EvtxEvent),
}

/// Where the record came from: the evidence locator and the raw text.
pub struct At<'a> {
    pub path: &'a str,
    pub line: Option<u64>,
    pub offset: Option<u64>,
    pub record_id: Option<u64>,
    pub raw: &'a [u8],
    /// For HttpProxy: the protocol folder the file was found in, if any.
    pub protocol: Option<&'a str>,
}
