//! PowerShell's `-like`: whole-string wildcard match (`*` any run, `?` one character),
//! ASCII case-insensitive, as Test-ProxyLogon uses it.

pub fn like(value: &str, pattern: &str) -> bool {
    let (v, p) = (value.as_bytes(), pattern.as_bytes());
    let (mut vi, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&v[vi])) {
            vi += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, vi));
            pi += 1;
        } else if let Some((sp, sv)) = star {
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn matches_like_powershell() {
        assert!(like("ServerInfo~a]@ex01:444/ecp/y.ecp?#", "ServerInfo~*/*"));
        assert!(like("serverinfo~X/Y", "ServerInfo~*/*"));
        assert!(!like("ServerInfo~noslash", "ServerInfo~*/*"));
        assert!(like(
            "ServerInfo~a]@b:444/autodiscover/autodiscover.xml?#",
            "ServerInfo~*/autodiscover*"
        ));
        assert!(like(
            "ServerInfo~localhost/owa/auth/logon.aspx?",
            "ServerInfo~localhost*/*"
        ));
        assert!(like(
            "ServerInfo~a]@b:444/ecp/DDI/DDIService.svc/SetObject?schema=ResetOABVirtualDirectory#",
            "ServerInfo~*/*Reset*VirtualDirectory#"
        ));
        assert!(like("abc", "a?c"));
        assert!(!like("abcd", "a?c"));
        assert!(like("", "*"));
        assert!(!like("", "?"));
    }
}
