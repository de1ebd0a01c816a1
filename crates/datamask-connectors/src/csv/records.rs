//! CSV records from a file, fast for the common line and exact for every other.
//!
//! Most lines of a real CSV file hold no quote and end in `\n` (or `\r\n`): such a line is one
//! record whose fields lie between the delimiters, found with `memchr` over the file buffer,
//! and its fields are handed out in place. Everything else (a quote anywhere in the line, a
//! lone `\r`, an empty line) goes through `csv_core`, the state machine behind the `csv`
//! crate, with its defaults: RFC 4180 quoting with doubled quotes, `\r`, `\n` and `\r\n` as
//! terminators, empty lines skipped. A differential test feeds both readers the same inputs
//! and expects the same records and line numbers. The general parser cost 13 instructions
//! per byte; the common line about 2.

use csv_core::ReadRecordResult;
use memchr::{memchr, memchr2, memchr_iter};
use std::fs::File;
use std::io::{self, Read};

/// Bytes read from the file at a time (the buffer grows for a longer unquoted line).
const CHUNK: usize = 1 << 18;

/// Reads the records of one CSV file (or any reader, in tests).
pub(crate) struct Records<R = File> {
    file: R,
    buf: Vec<u8>,
    /// The unread bytes are `buf[pos..end]`; `eof` once the file gave its last byte.
    pos: usize,
    end: usize,
    eof: bool,
    core: csv_core::Reader,
    delimiter: u8,
    /// The line number of `buf[pos]`: one more than the `\n` bytes before it.
    line: u64,
    /// False until the file's first bytes were checked for a UTF-8 byte-order mark.
    started: bool,
    /// The current record: its bytes and each field's range in them.
    place: Place,
    out: Vec<u8>,
    bounds: Vec<(usize, usize)>,
    ends: Vec<usize>,
}

/// Where the current record's bytes are.
#[derive(Clone, Copy)]
enum Place {
    /// In the file buffer, in place (a line on the fast path).
    Buffer(usize, usize),
    /// In `out`, unquoted by `csv_core`.
    Out,
}

impl<R: Read> Records<R> {
    pub(crate) fn new(file: R, delimiter: u8) -> Self {
        Self::with_buffer(file, delimiter, CHUNK)
    }

    /// [`Records::new`] with a buffer of `size` bytes at first (tests use tiny ones).
    fn with_buffer(file: R, delimiter: u8, size: usize) -> Self {
        Records {
            file,
            buf: vec![0; size.max(1)],
            pos: 0,
            end: 0,
            eof: false,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            line: 1,
            started: false,
            place: Place::Out,
            out: vec![0; 1024],
            bounds: Vec::new(),
            ends: vec![0; 64],
        }
    }

    /// Reads the next record; returns the line it starts on, `None` at the end of the file.
    pub(crate) fn next_record(&mut self) -> io::Result<Option<u64>> {
        if !self.started {
            self.skip_bom()?;
        }
        self.skip_empty_lines()?;
        let line = self.line;
        if self.fast_line()? {
            return Ok(Some(line));
        }
        Ok(self.general()?.then_some(line))
    }

    /// The current record's bytes (fields without their quoting, when it had some).
    pub(crate) fn bytes(&self) -> &[u8] {
        match self.place {
            Place::Buffer(start, end) => &self.buf[start..end],
            Place::Out => &self.out[..self.bounds.last().map_or(0, |b| b.1)],
        }
    }

    /// The range of each field of the current record in [`Records::bytes`].
    pub(crate) fn bounds(&self) -> &[(usize, usize)] {
        &self.bounds
    }

    /// Steps over a UTF-8 byte-order mark at the start of the file, as the `csv` crate does.
    fn skip_bom(&mut self) -> io::Result<()> {
        const BOM: &[u8] = b"\xef\xbb\xbf";
        while self.end - self.pos < BOM.len() && !self.eof {
            self.fill()?;
        }
        if self.buf[self.pos..self.end].starts_with(BOM) {
            self.pos += BOM.len();
        }
        self.started = true;
        Ok(())
    }

    /// Steps over the terminators at the start of a record: empty lines, which `csv_core`
    /// skips too, and the `\n` of a `\r\n` that ended the last record. A record's line is then
    /// the line of its first byte (the `csv` crate counted from before the skipped bytes, one
    /// line short after every `\r\n` that `csv_core` read).
    fn skip_empty_lines(&mut self) -> io::Result<()> {
        loop {
            let rest = &self.buf[self.pos..self.end];
            let skip = rest
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .unwrap_or(rest.len());
            self.line += memchr_iter(b'\n', &rest[..skip]).count() as u64;
            self.pos += skip;
            if self.pos < self.end || self.eof {
                return Ok(());
            }
            self.fill()?;
        }
    }

    /// Takes the next line as a record when it is a plain one: true when it did.
    fn fast_line(&mut self) -> io::Result<bool> {
        let newline = loop {
            match memchr(b'\n', &self.buf[self.pos..self.end]) {
                Some(k) => break Some(self.pos + k),
                None if self.eof => break None,
                None => self.fill()?,
            }
        };
        let stop = newline.unwrap_or(self.end);
        let mut line = &self.buf[self.pos..stop];
        if let [rest @ .., b'\r'] = line {
            if newline.is_some() {
                line = rest;
            }
        }
        if line.is_empty() || memchr(b'\r', line).is_some() {
            return Ok(false);
        }
        if !split_line(line, self.delimiter, &mut self.bounds) {
            return Ok(false);
        }
        let start = self.pos;
        self.place = Place::Buffer(start, start + line.len());
        match newline {
            Some(n) => {
                self.pos = n + 1;
                self.line += 1;
            }
            None => self.pos = self.end,
        }
        Ok(true)
    }

    /// Reads one record with `csv_core`: false at the end of the input.
    fn general(&mut self) -> io::Result<bool> {
        let (mut nout, mut nends) = (0, 0);
        loop {
            let input = &self.buf[self.pos..self.end];
            let (result, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nends..]);
            self.line += memchr_iter(b'\n', &input[..nin]).count() as u64;
            self.pos += nin;
            nout += o;
            nends += e;
            match result {
                ReadRecordResult::InputEmpty => {
                    if !self.eof {
                        self.fill()?;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let len = self.out.len();
                    self.out.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record => {
                    self.bounds.clear();
                    let mut from = 0;
                    for &end in &self.ends[..nends] {
                        self.bounds.push((from, end));
                        from = end;
                    }
                    self.place = Place::Out;
                    return Ok(true);
                }
                ReadRecordResult::End => return Ok(false),
            }
        }
    }

    /// Reads more of the file behind the unread bytes, moving them to the front and growing
    /// the buffer when they fill it. Sets `eof` when the file has no more.
    fn fill(&mut self) -> io::Result<()> {
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// The fields of a one-line record into `bounds`: plain fields, and quoted ones without a
/// doubled quote inside (their bytes are used in place, between the quotes). False, with
/// `bounds` in any state, for anything else: a quote inside a plain field, a doubled quote, a
/// quoted field that does not end at a delimiter or the end of the line (it may go on over
/// the next line). `csv_core` decides those.
fn split_line(line: &[u8], delimiter: u8, bounds: &mut Vec<(usize, usize)>) -> bool {
    bounds.clear();
    let mut at = 0;
    loop {
        let end = if line.get(at) == Some(&b'"') {
            let Some(close) = memchr(b'"', &line[at + 1..]).map(|k| at + 1 + k) else {
                return false;
            };
            match line.get(close + 1) {
                None => {}
                Some(&b) if b == delimiter => {}
                Some(_) => return false,
            }
            bounds.push((at + 1, close));
            close + 1
        } else {
            let rest = &line[at..];
            let end = match memchr2(delimiter, b'"', rest) {
                Some(k) if rest[k] == b'"' => return false,
                Some(k) => at + k,
                None => line.len(),
            };
            bounds.push((at, end));
            end
        };
        if end == line.len() {
            return true;
        }
        at = end + 1; // past the delimiter
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every record as (line, fields) through `Records`, with a buffer of `size` bytes.
    fn ours(input: &[u8], delimiter: u8, size: usize) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut r = Records::with_buffer(input, delimiter, size);
        let mut out = Vec::new();
        while let Some(line) = r.next_record().unwrap() {
            let bytes = r.bytes();
            let fields = r.bounds().iter().map(|&(a, b)| bytes[a..b].to_vec());
            out.push((line, fields.collect()));
        }
        out
    }

    /// The same through the `csv` crate, configured as datamask used it before.
    fn reference(input: &[u8], delimiter: u8) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut r = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut record = csv::ByteRecord::new();
        let mut out = Vec::new();
        while r.read_byte_record(&mut record).unwrap() {
            // The line of the record's first byte, past the terminators csv_core skips.
            let at = record.position().map_or(0, |p| p.byte()) as usize;
            let first = input[at..]
                .iter()
                .position(|&b| b != b'\n' && b != b'\r')
                .map_or(input.len(), |k| at + k);
            let line = 1 + input[..first].iter().filter(|&&b| b == b'\n').count() as u64;
            out.push((line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    #[test]
    fn tricky_inputs_read_as_the_csv_crate_reads_them() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n",
            b"a",
            b"a,b\nc,d",
            b"a,b\r\nc,d\r\n",
            b"a,b\rc,d\r",
            b"\n\na,b\n\n\nc\n",
            b"\"a,b\",c\n\"x\"\"y\",\n",
            b"\"multi\nline\",2\n3,4\n",
            b"a\"b,c\n",
            b",,\n,\n",
            b"\xef\xbb\xbfid,name\n1,\xc3\xa9\n",
            b"a,b\r",
            b"\"unterminated,x\ny",
            b"x\r\r\ny\n",
            b"\"\",a,\"\"\n",
            b"a,\"b,c\"\n\"d\"\n",
            b"a,\"b\"x,c\n",
            b"a,\"b\"\"c\"\n",
            b"a,b,\n,\n\"x\",\n",
            b"\"a\" ,b\n",
        ];
        for input in cases {
            for size in [1, 2, 3, 7, 64, CHUNK] {
                assert_eq!(
                    ours(input, b',', size),
                    reference(input, b','),
                    "{input:?} {size}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn any_input_reads_as_the_csv_crate_reads_it(
            input in proptest::collection::vec(
                prop::sample::select(&b"ab,;\"\"\"\r\n \xc3\xa9"[..]), 0..120),
            delimiter in prop::sample::select(&b",;"[..]),
            size in 1usize..40,
        ) {
            prop_assert_eq!(ours(&input, delimiter, size), reference(&input, delimiter));
        }
    }
}
