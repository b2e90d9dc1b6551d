//! OAB generator line: path extraction, Windows path normalisation (idempotent), legitimacy test.
#![no_main]
use exhunt::detect::Ctx;
use exhunt::detect::cve_2021_26858::is_legitimate;
use exhunt::sources::oab::failed_download_path;
use exhunt::sources::paths::normalize_windows_path;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(p) = failed_download_path(data) {
        let n = normalize_windows_path(&p);
        assert_eq!(normalize_windows_path(&n), n, "normalising twice changes nothing");
        let _ = is_legitimate(&p, &Ctx::default());
    }
});
