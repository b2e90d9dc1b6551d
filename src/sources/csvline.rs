//! Splitting one CSV line into fields with a reused `csv_core` reader. Building a `csv::Reader`
//! per line costs ~15 µs (its state machine is rebuilt each time); reusing one per thread makes a
//! 700-byte HttpProxy line cost well under a microsecond.

use csv::ByteRecord;
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use std::cell::RefCell;

thread_local! {
    static SPLITTER: RefCell<Splitter> = RefCell::new(Splitter::new());
}

struct Splitter {
    rdr: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
}

impl Splitter {
    fn new() -> Self {
        Splitter {
            rdr: ReaderBuilder::new().build(),
            out: vec![0; 4096],
            ends: vec![0; 128],
        }
    }

    fn split(&mut self, line: &[u8], rec: &mut ByteRecord) -> bool {
        self.rdr.reset();
        rec.clear();
        let (mut input, mut nout, mut nend) = (line, 0usize, 0usize);
        loop {
            // An empty `input` tells csv_core the input has ended: it then finishes the record.
            let (res, nin, o, e) =
                self.rdr
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            input = &input[nin..];
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => break,
                ReadRecordResult::End => return false,
            }
        }
        let mut start = 0;
        for &end in &self.ends[..nend] {
            rec.push_field(&self.out[start..end]);
            start = end;
        }
        true
    }
}

/// Splits one line (without its line end) into `rec`. Returns false for empty input.
pub fn split(line: &[u8], rec: &mut ByteRecord) -> bool {
    if line.is_empty() {
        rec.clear();
        return false;
    }
    SPLITTER.with(|s| s.borrow_mut().split(line, rec))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(line: &str) -> Vec<String> {
        let mut r = ByteRecord::new();
        assert!(split(line.as_bytes(), &mut r));
        r.iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }

    #[test]
    fn splits_like_the_csv_crate() {
        assert_eq!(fields("a,b,,c"), vec!["a", "b", "", "c"]);
        assert_eq!(fields("a,\"b,c\",\"d\"\"e\""), vec!["a", "b,c", "d\"e"]);
        assert_eq!(fields("x"), vec!["x"]);
        assert_eq!(
            fields("a,\"unterminated, quote"),
            vec!["a", "unterminated, quote"]
        );
        let long: String = (0..500)
            .map(|i| format!("field{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(fields(&long).len(), 500);
        let big = "y".repeat(100_000);
        assert_eq!(fields(&format!("a,{big}")), vec!["a".to_string(), big]);
        let mut r = ByteRecord::new();
        assert!(!split(b"", &mut r));
    }
}
