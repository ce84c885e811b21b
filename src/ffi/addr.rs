//! The file-address strings of `iReadCard` / `iWriteCard`: `SSSEEF05|01|07|$SSSEEF06|08|09|$`
//! (the application and file, then the tags of its elements in hex, `$` ends a file), mapped
//! to the elements of the profile's application; and the `|`-joined values.

use super::codes::{Code, FfiError};
use crate::perso::{AppSpec, ElementRef};

/// The elements a file-address string names, in its order.
pub fn parse(text: &str, app: &AppSpec) -> Result<Vec<ElementRef>, FfiError> {
    let bad = |why: String| FfiError::new(Code::BadArgument, format!("pFileAddr `{text}`: {why}"));
    let mut out = Vec::new();
    for chunk in text.split('$') {
        let chunk = chunk.trim();
        if chunk.is_empty() {
            continue;
        }
        let mut parts = chunk.split('|').map(str::trim);
        let file = parts.next().unwrap_or_default().to_ascii_uppercase();
        let label = app.profile_df.to_ascii_uppercase();
        let Some(ef) = file.strip_prefix(&label) else {
            return Err(FfiError::new(
                Code::Card(0x6A82),
                format!(
                    "pFileAddr names file `{file}`: this card's application is {label} (files {label}EF05, {label}EF06 ...)"
                ),
            ));
        };
        if !app.elements.iter().any(|e| e.file.eq_ignore_ascii_case(ef)) {
            return Err(FfiError::new(
                Code::Card(0x6A82),
                format!("pFileAddr names file `{file}`: the profile has no {ef} in {label}"),
            ));
        }
        let mut any = false;
        for tag in parts.filter(|t| !t.is_empty()) {
            any = true;
            let t = u8::from_str_radix(tag, 16)
                .ok()
                .filter(|_| tag.len() == 2)
                .ok_or_else(|| bad(format!("`{tag}` in {file} is not a tag (2 hex digits)")))?;
            let el = app
                .elements
                .iter()
                .find(|e| e.file.eq_ignore_ascii_case(ef) && e.tag == t)
                .ok_or_else(|| {
                    FfiError::new(
                        Code::Card(0x6A83),
                        format!("pFileAddr: {file} has no element with tag {t:02X} in the profile"),
                    )
                })?;
            out.push(el.clone());
        }
        if !any {
            return Err(bad(format!("{file} lists no tag")));
        }
    }
    if out.is_empty() {
        return Err(bad("no file in it (expected e.g. SSSEEF05|01|07|$)".into()));
    }
    Ok(out)
}

/// The values of `pWriteData`: `|`-separated, one per element, a trailing `|` allowed.
pub fn values(text: &str, count: usize) -> Result<Vec<String>, FfiError> {
    let body = text.strip_suffix('|').unwrap_or(text);
    let vals: Vec<String> = body.split('|').map(|v| v.trim().to_string()).collect();
    if vals.len() != count {
        return Err(FfiError::new(
            Code::BadArgument,
            format!(
                "pWriteData has {} value(s) but pFileAddr names {count} element(s): give one value per tag, each followed by |",
                vals.len()
            ),
        ));
    }
    Ok(vals)
}

/// Values joined as the interface answers them: each followed by `|`.
pub fn join<S: AsRef<str>>(values: &[S]) -> String {
    let mut out = String::new();
    for v in values {
        out.push_str(v.as_ref());
        out.push('|');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AppSpec {
        let profile =
            crate::perso::demo::shipped_profile(crate::perso::demo::SSC_300, "ssc-3.00").unwrap();
        crate::perso::Station::new(&profile).unwrap().app
    }

    #[test]
    fn the_field_example_names_four_elements_in_order() {
        let app = app();
        let els = parse("SSSEEF05|01|07|$SSSEEF06|08|09|$", &app).unwrap();
        let got: Vec<(String, u8)> = els.iter().map(|e| (e.file.clone(), e.tag)).collect();
        assert_eq!(
            got,
            vec![
                ("EF05".into(), 0x01),
                ("EF05".into(), 0x07),
                ("EF06".into(), 0x08),
                ("EF06".into(), 0x09)
            ]
        );
        // Lower case, spaces and no final `$` are accepted.
        assert_eq!(parse("ssseef06| 08 |", &app).unwrap().len(), 1);
    }

    #[test]
    fn unknown_files_tags_and_malformed_strings_have_their_codes() {
        let app = app();
        assert_eq!(
            parse("SSSEEF99|01|$", &app).unwrap_err().code,
            Code::Card(0x6A82)
        );
        assert_eq!(
            parse("DF01EF05|01|$", &app).unwrap_err().code,
            Code::Card(0x6A82)
        );
        assert_eq!(
            parse("SSSEEF05|7F|$", &app).unwrap_err().code,
            Code::Card(0x6A83)
        );
        let e = parse("SSSEEF05|1|$", &app).unwrap_err();
        assert_eq!(e.code, Code::BadArgument);
        assert!(e.text.contains("`1`"), "{}", e.text);
        assert_eq!(parse("", &app).unwrap_err().code, Code::BadArgument);
        assert_eq!(
            parse("SSSEEF05|$", &app).unwrap_err().code,
            Code::BadArgument
        );
    }

    #[test]
    fn values_are_one_per_element() {
        assert_eq!(values("a|b|", 2).unwrap(), vec!["a", "b"]);
        assert_eq!(values("a|b", 2).unwrap(), vec!["a", "b"]);
        assert_eq!(values("a|", 2).unwrap_err().code, Code::BadArgument);
        assert_eq!(join(&["x", "测试"]), "x|测试|");
    }
}
