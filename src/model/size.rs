//! One way to show a size in a message: in the largest binary unit it reaches (bytes, KiB, MiB,
//! GiB), whole when it is whole, else with one decimal. A 1 KiB cap is never "0 MiB".

/// `size` for people: `512 bytes`, `1 KiB`, `1.5 MiB`, `32 MiB`, `4 GiB`.
pub fn show_size(size: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut i = 0;
    while i + 1 < UNITS.len() && size >> (10 * (i + 1)) > 0 {
        i += 1;
    }
    if i == 0 {
        return if size == 1 {
            "1 byte".into()
        } else {
            format!("{size} bytes")
        };
    }
    let one = 1u64 << (10 * i);
    if size.is_multiple_of(one) {
        return format!("{} {}", size >> (10 * i), UNITS[i]);
    }
    let v = size as f64 / one as f64;
    // just under the next unit would round up to "1024.0": say it in the next unit
    if v >= 1023.95 && i + 1 < UNITS.len() {
        return format!("{:.1} {}", v / 1024.0, UNITS[i + 1]);
    }
    format!("{v:.1} {}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::show_size;

    #[test]
    fn sizes_in_the_unit_they_reach() {
        assert_eq!(show_size(0), "0 bytes");
        assert_eq!(show_size(1), "1 byte");
        assert_eq!(show_size(1023), "1023 bytes");
        assert_eq!(show_size(1024), "1 KiB");
        assert_eq!(show_size(1536), "1.5 KiB");
        assert_eq!(show_size(512 << 10), "512 KiB");
        assert_eq!(show_size((1 << 20) - 1), "1.0 MiB");
        assert_eq!(show_size(1 << 20), "1 MiB");
        assert_eq!(show_size(32 << 20), "32 MiB");
        assert_eq!(show_size((3 << 19) + 1), "1.5 MiB");
        assert_eq!(show_size(4 << 30), "4 GiB");
        assert_eq!(show_size(u64::MAX), "17179869184.0 GiB");
    }
}
