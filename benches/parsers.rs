//! Micro-benchmarks of the hot path: the prefiltered line scanner and each parser.
//! `cargo bench --bench parsers`. Whole-process numbers are in BENCHMARKS.md (bench/run.sh).

use exhunt::model::Timestamp;
use exhunt::sources::{ecp, httpproxy, lines, oab};

fn main() {
    divan::main();
}

const LINE: &str = "2024-05-14T08:15:02.417Z,3f9a6c12-7e4b-4d21-b0c8-5a1e9f2d6b47,15,2,986,5,,Owa,mail.contoso.com,/owa/service.svc,GetConversationItems,Negotiate,true,CONTOSO\\jdoe,,Sid~S-1-5-21-1004336348-1177238915-682003330-1108,Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML  like Gecko) Chrome/120.0.0.0 Safari/537.36,198.51.100.23,EX01,200,200,,POST,Proxy,ex02.contoso.local,15.02.0986.000,IntraForest,WindowsIdentity,,,,1311,9624,,,0,1,,,,,,,,,,,,,,,,,,,,,,,,,,,38,,,,BeginRequest=2024-05-14T08:15:02.379Z;CorrelationID=<empty>;ProxyState-Run=None;BeginGetResponse=2024-05-14T08:15:02.384Z;OnResponseReady=2024-05-14T08:15:02.415Z;ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest=2024-05-14T08:15:02.417Z;,,,,,,CafeV1";
const HIT: &str = "2021-02-11T04:29:44.908Z,9d2b7f31-0c6e-4a58-8e13-b74f2a90c5d6,15,1,2106,2,,Ecp,mail.contoso.com,/ecp/q.js,,,false,,,ServerInfo~zz]@ex01.contoso.local:444/ecp/proxyLogon.ecp?#,python-requests/2.25.1,203.0.113.57,EX01,241,241,,POST,Proxy,ex01.contoso.local,15.01.2106.000,,X-BEResource-Cookie,,,,482,1090,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,57,,,,BeginRequest=2021-02-11T04:29:44.851Z;CorrelationID=<empty>;ProxyState-Run=None;ProxyState-Complete=ProxyResponseData;EndRequest=2021-02-11T04:29:44.908Z;,,,,,,";
const ECP: &str = r#"2021-02-11T04:30:58.214Z,EX01,ECP.Request,"S:TIME=402;S:SID=8c0f2e71-5a4d-4b39-a6e2-0d9b3c7f1e58;'S:CMD=Set-OabVirtualDirectory.ExternalUrl=''http://k/<script language=""JScript"" runat=""server"">function Page_Load(){Response.Write(""exhunt-test-zq7w"");}</script>''.Identity=''5d0c7a3e''';S:REQID=;S:URL=/ecp/DDI/DDIService.svc/SetObject?schema=OABVirtualDirectory;S:BLD=15.1.2106.2;S:ACID=""#;

/// 16 MiB of HttpProxy text with one ServerInfo~ line in 500.
fn corpus() -> Vec<u8> {
    let mut v = Vec::with_capacity(17 << 20);
    v.extend_from_slice(httpproxy::DEFAULT_FIELDS.as_bytes());
    v.extend_from_slice(b"\r\n");
    let mut i = 0;
    while v.len() < 16 << 20 {
        v.extend_from_slice(if i % 500 == 0 { HIT } else { LINE }.as_bytes());
        v.extend_from_slice(b"\r\n");
        i += 1;
    }
    v
}

#[divan::bench]
fn scan_16mib_prefiltered(bencher: divan::Bencher) {
    let data = corpus();
    let pre = lines::Prefilter::with_exact(
        &["ServerInfo~", "Server~", "VirtualDirectory"],
        &["DateTime,RequestId,"],
    );
    bencher
        .counter(divan::counter::BytesCount::new(data.len()))
        .bench(|| {
            let mut n = 0u64;
            lines::scan(&data[..], &pre, |l| n += l.text.len() as u64).unwrap();
            n
        });
}

#[divan::bench]
fn httpproxy_record_parse(bencher: divan::Bencher) {
    let h = httpproxy::Header::default_2016();
    bencher
        .counter(divan::counter::BytesCount::new(HIT.len()))
        .bench(|| {
            let r = httpproxy::Record::parse(&h, divan::black_box(HIT.as_bytes())).unwrap();
            r.get(httpproxy::Col::AnchorMailbox).len()
        });
}

#[divan::bench]
fn ecp_line_decode(bencher: divan::Bencher) {
    bencher.bench(|| {
        let r = ecp::parse_line(divan::black_box(ECP.as_bytes())).unwrap();
        ecp::parse_cmd(r.get("S:CMD").unwrap()).params.len()
    });
}

#[divan::bench]
fn oab_path(bencher: divan::Bencher) {
    let l = b"2021-02-11T04:31:25.000Z,EX01,OABGenerator,Warning,Download failed and temporary file 'C:\\inetpub\\wwwroot\\aspnet_client\\x.aspx' needs to be removed";
    bencher.bench(|| oab::failed_download_path(divan::black_box(l)));
}

#[divan::bench]
fn timestamp_parse(bencher: divan::Bencher) {
    bencher.bench(|| Timestamp::parse_leading(divan::black_box(b"2021-02-11T04:29:44.908Z,x")));
}
