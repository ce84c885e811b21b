//! Holder records: the input of personalization, as JSON or CSV, one or many per file.
//!
//! A record is a set of named fields (`ssn`, `name`, `sex`, `birth_date`, `card_number`,
//! `issue_date`, ...). Field names come from the profile's data elements; this module only
//! reads the files, keeps where each record came from (file, record index, line) and fills in
//! the documented defaults (`expiry_date` = `issue_date` + 10 years). Encoding and validation of
//! every field is done by the profile's codec in [`crate::perso::encode`], which reports all
//! errors of a record together.
//!
//! JSON: one object `{"ssn": "...", ...}` or an array of them; values are strings (numbers are
//! taken as their decimal text). CSV: a header line with the field names, then one record per
//! line; RFC 4180 quoting (`"a,b"`, `""` for a quote); UTF-8, with or without a BOM.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Where a record came from, for messages: `holders.csv record 3 (line 4)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSource {
    /// The file it was read from (or a name such as `<demo>`).
    pub file: PathBuf,
    /// 1-based index of the record in the file.
    pub index: usize,
    /// 1-based line where the record starts (CSV line, or JSON line of its opening brace).
    pub line: usize,
}

impl fmt::Display for RecordSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} record {} (line {})",
            self.file.display(),
            self.index,
            self.line
        )
    }
}

/// One holder's record: field name → text value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolderRecord {
    /// Where it came from.
    pub source: RecordSource,
    /// The fields, by name, as given (trimmed).
    pub fields: BTreeMap<String, String>,
}

impl HolderRecord {
    /// A record built in code (demo, examples, tests).
    pub fn from_pairs<'a>(name: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut r = HolderRecord {
            source: RecordSource {
                file: PathBuf::from(name),
                index: 1,
                line: 1,
            },
            fields: pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.trim().to_string()))
                .collect(),
        };
        r.apply_defaults();
        r
    }

    /// The value of a field, if present and not empty.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields
            .get(field)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Fills documented defaults: `expiry_date` = `issue_date` + 10 years when absent.
    /// A malformed issue date is left for the codec to report.
    pub fn apply_defaults(&mut self) {
        if self.get("expiry_date").is_none()
            && let Some(expiry) = self.get("issue_date").and_then(|d| add_years(d, 10))
        {
            self.fields.insert("expiry_date".into(), expiry);
        }
    }
}

/// A record file that cannot be read.
#[derive(Debug, Error)]
pub enum RecordError {
    /// The file cannot be read.
    #[error("cannot read the record file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The JSON is malformed.
    #[error("{}:{line}:{column}: not valid JSON", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// The file parses but is not a record or a list of records.
    #[error("{}:{line}: {reason}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// Line (1 when unknown).
        line: usize,
        /// What is wrong, and what is expected.
        reason: String,
    },
    /// The CSV reader refused the file.
    #[error("{}:{line}: not valid CSV", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// Line of the error.
        line: usize,
        /// The reader's error.
        #[source]
        source: csv::Error,
    },
    /// The file holds no record at all.
    #[error("{} holds no record", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
}

/// Reads every record of a JSON (`.json`) or CSV (any other extension) file.
pub fn load_records(path: &Path) -> Result<Vec<HolderRecord>, RecordError> {
    let bytes = crate::input::read_bytes(path, crate::input::RECORDS_MAX).map_err(|source| {
        RecordError::Io {
            path: path.to_path_buf(),
            source,
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = e.as_bytes().get(..at).unwrap_or_default();
        RecordError::Shape {
            path: path.to_path_buf(),
            line: 1 + before.iter().filter(|b| **b == b'\n').count(),
            reason: format!(
                "not UTF-8 text (byte {at}; a file saved as GBK/ANSI looks like this): save the file as UTF-8"
            ),
        }
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with(['{', '[']);
    let records = if is_json {
        parse_json(path, text)?
    } else {
        parse_csv(path, text)?
    };
    if records.is_empty() {
        return Err(RecordError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(records)
}

/// Parses JSON text: one object or an array of objects.
pub fn parse_json(path: &Path, text: &str) -> Result<Vec<HolderRecord>, RecordError> {
    crate::input::json_without_duplicate_keys(text).map_err(|e| RecordError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        source: e,
    })?;
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| RecordError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        source: e,
    })?;
    let starts = object_start_lines(text);
    let items = match value {
        serde_json::Value::Array(items) => items,
        obj @ serde_json::Value::Object(_) => vec![obj],
        _ => {
            return Err(RecordError::Shape {
                path: path.to_path_buf(),
                line: 1,
                reason: "expected a record object {\"ssn\": ...} or an array of them".into(),
            });
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let line = starts.get(i).copied().unwrap_or(1);
        let serde_json::Value::Object(map) = item else {
            return Err(RecordError::Shape {
                path: path.to_path_buf(),
                line,
                reason: format!("record {} is not an object of field names", i + 1),
            });
        };
        let mut fields = BTreeMap::new();
        for (k, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) if n.is_f64() => {
                    return Err(RecordError::Shape {
                        path: path.to_path_buf(),
                        line,
                        reason: format!(
                            "record {}, field `{k}`: the number {n} is not exact (too long or with a fraction): write the value as text in quotes",
                            i + 1
                        ),
                    });
                }
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Null => String::new(),
                other => {
                    return Err(RecordError::Shape {
                        path: path.to_path_buf(),
                        line,
                        reason: format!(
                            "record {}, field `{k}`: expected text, found {}",
                            i + 1,
                            json_kind(&other)
                        ),
                    });
                }
            };
            fields.insert(k, text);
        }
        out.push(loaded(path, i, line, fields));
    }
    Ok(out)
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Bool(_) => "true/false",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
        _ => "a value",
    }
}

/// Lines where the top-level record objects start (depth 1 in an array, or depth 0).
fn object_start_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let (mut depth, mut line, mut in_str, mut esc) = (0usize, 1usize, false, false);
    let top_is_array = text.trim_start().starts_with('[');
    let want = usize::from(top_is_array);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => {
                if c == '{' && depth == want {
                    lines.push(line);
                }
                depth += 1;
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    lines
}

/// Parses CSV text: a header line of field names, then one record per line.
pub fn parse_csv(path: &Path, text: &str) -> Result<Vec<HolderRecord>, RecordError> {
    let rows = csv_rows(path, text)?;
    let mut rows = rows.into_iter().filter(|(_, cells)| {
        // Blank lines carry no record.
        !(cells.len() == 1 && cells.first().is_some_and(|c| c.trim().is_empty()))
    });
    let Some((header_line, header)) = rows.next() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    if let Some(pos) = header.iter().position(String::is_empty) {
        return Err(RecordError::Shape {
            path: path.to_path_buf(),
            line: header_line,
            reason: format!(
                "the header's column {} has no field name; the first line must name every column (ssn,name,...)",
                pos + 1
            ),
        });
    }
    let mut out = Vec::new();
    for (i, (line, cells)) in rows.enumerate() {
        if cells.len() != header.len() {
            return Err(RecordError::Shape {
                path: path.to_path_buf(),
                line,
                reason: format!(
                    "record {} has {} column(s) but the header has {}",
                    i + 1,
                    cells.len(),
                    header.len()
                ),
            });
        }
        let fields = header
            .iter()
            .cloned()
            .zip(cells.into_iter().map(|c| c.trim().to_string()))
            .collect();
        out.push(loaded(path, i, line, fields));
    }
    Ok(out)
}

/// The `i`-th (0-based) record of a file, starting on `line`, with the defaults applied.
fn loaded(path: &Path, i: usize, line: usize, fields: BTreeMap<String, String>) -> HolderRecord {
    let mut r = HolderRecord {
        source: RecordSource {
            file: path.to_path_buf(),
            index: i + 1,
            line,
        },
        fields,
    };
    r.apply_defaults();
    r
}

/// Splits CSV text (RFC 4180, read by the `csv` crate) into rows of cells, each with the line
/// it starts on.
fn csv_rows(path: &Path, text: &str) -> Result<Vec<(usize, Vec<String>)>, RecordError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Lines::new(text);
    let mut rows = Vec::new();
    let mut last_start = 0;
    for row in reader.records() {
        let row = row.map_err(|source| RecordError::Csv {
            path: path.to_path_buf(),
            line: source.position().map_or(1, |p| lines.at(p.byte())),
            source,
        })?;
        let start = row.position().map_or(0, |p| p.byte());
        last_start = usize::try_from(start).unwrap_or(usize::MAX);
        rows.push((lines.at(start), row.iter().map(str::to_string).collect()));
    }
    // The reader takes an unclosed quote as a cell running to the end of the file: a record
    // whose text holds an odd number of quotes there is one.
    let tail = text.get(last_start..).unwrap_or_default();
    if tail.matches('"').count() % 2 == 1 {
        return Err(RecordError::Shape {
            path: path.to_path_buf(),
            line: rows.last().map_or(1, |(line, _)| *line),
            reason: "a quoted cell is never closed (missing \")".into(),
        });
    }
    Ok(rows)
}

/// Line numbers of byte offsets, asked in increasing order. The reader's own positions count
/// a CRLF or a blank line before a record as part of it: the record starts after them.
struct Lines<'a> {
    text: &'a [u8],
    upto: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            upto: 0,
            line: 1,
        }
    }

    /// The 1-based line of the first byte at or after `byte` that is not a line end.
    fn at(&mut self, byte: u64) -> usize {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let rest = self.text.get(at..).unwrap_or_default();
        at += rest
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        if at > self.upto {
            let seen = self.text.get(self.upto..at).unwrap_or_default();
            self.line += seen.iter().filter(|b| **b == b'\n').count();
            self.upto = at;
        }
        self.line
    }
}

/// Adds `years` to a `YYYYMMDD` (or `YYYY-MM-DD`) date; 29 February becomes 28 February in a
/// common year. `None` when the text is not such a date.
pub fn add_years(date: &str, years: u32) -> Option<String> {
    let digits: String = date.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: u32 = digits.get(0..4)?.parse().ok()?;
    let m: u32 = digits.get(4..6)?.parse().ok()?;
    let mut d: u32 = digits.get(6..8)?.parse().ok()?;
    if !(1..=12).contains(&m) || d == 0 || d > 31 {
        return None;
    }
    let ny = y.checked_add(years)?;
    d = d.min(crate::codec::rules::days_in_month(ny, m));
    Some(format!("{ny:04}{m:02}{d:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("holders.csv")
    }

    #[test]
    fn csv_with_quotes_bom_crlf_and_default_expiry() {
        let text = "ssn,name,issue_date\r\n110101199012290016,\"测试一\",20211203\r\n\r\n110101199003070014,\"A \"\"quoted\"\", name\",2020-02-29\r\n";
        let rs = parse_csv(p(), text).unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].get("name"), Some("测试一"));
        assert_eq!(rs[0].get("expiry_date"), Some("20311203"));
        assert_eq!(rs[0].source.line, 2);
        assert_eq!(rs[1].get("name"), Some("A \"quoted\", name"));
        assert_eq!(rs[1].get("expiry_date"), Some("20300228"));
        assert_eq!(rs[1].source.index, 2);
        assert_eq!(rs[1].source.line, 4);
    }

    #[test]
    fn a_quoted_cell_over_two_lines_keeps_the_next_record_s_line() {
        let rs = parse_csv(p(), "ssn,name\n1,\"two\nlines\"\n\n2,x\n").unwrap();
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].get("name"), Some("two\nlines"));
        assert_eq!((rs[0].source.line, rs[1].source.line), (2, 5));
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = parse_csv(p(), "ssn,name\n1,2,3\n").unwrap_err();
        assert!(e.to_string().contains("holders.csv:2:"), "{e}");
        assert!(e.to_string().contains("3 column(s)"), "{e}");
        let e = parse_csv(p(), "ssn,name\n1,\"open\n").unwrap_err();
        assert!(e.to_string().contains("never closed"), "{e}");
        let e = parse_csv(p(), "ssn,,name\n").unwrap_err();
        assert!(e.to_string().contains("column 2"), "{e}");
    }

    #[test]
    fn explicit_expiry_is_kept() {
        let r = HolderRecord::from_pairs(
            "<t>",
            [("issue_date", "20211203"), ("expiry_date", "20311202")],
        );
        assert_eq!(r.get("expiry_date"), Some("20311202"));
    }

    #[test]
    fn json_object_and_array_with_lines() {
        let one = parse_json(
            Path::new("a.json"),
            r#"{"ssn": "110101199012290016", "ethnicity": 1}"#,
        )
        .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].get("ethnicity"), Some("1"));
        let text = "[\n  {\"ssn\": \"x{\"},\n  {\n    \"ssn\": \"y\"\n  }\n]";
        let many = parse_json(Path::new("a.json"), text).unwrap();
        assert_eq!(many.len(), 2);
        assert_eq!((many[0].source.line, many[1].source.line), (2, 3));
        assert_eq!(many[1].get("ssn"), Some("y"));
    }

    #[test]
    fn json_errors() {
        let e = parse_json(Path::new("a.json"), "{\"ssn\": }").unwrap_err();
        assert!(matches!(e, RecordError::Json { line: 1, .. }), "{e}");
        let e = parse_json(Path::new("a.json"), "[{\"ssn\": [1]}]").unwrap_err();
        assert!(e.to_string().contains("field `ssn`"), "{e}");
        let e = parse_json(Path::new("a.json"), "42").unwrap_err();
        assert!(e.to_string().contains("expected a record object"), "{e}");
    }

    #[test]
    fn add_years_rules() {
        assert_eq!(add_years("20211203", 10).as_deref(), Some("20311203"));
        assert_eq!(add_years("2024-02-29", 10).as_deref(), Some("20340228"));
        assert_eq!(add_years("2024-02-29", 4).as_deref(), Some("20280229"));
        assert_eq!(add_years("20211303", 10), None);
        assert_eq!(add_years("2021120", 10), None);
    }
}
