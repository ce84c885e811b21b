//! Script variables: values from `--set`, `--secret`, a record file (JSON object), `set`
//! directives and captures from responses. Secret values never appear in Debug output.

use super::error::ScriptError;
use crate::error::ErrorChain;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

/// One variable: its text and whether it must be masked.
#[derive(Clone, PartialEq, Eq)]
struct Var {
    value: String,
    secret: bool,
}

/// A set of script variables. Names are case-insensitive (kept upper case).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Vars {
    map: BTreeMap<String, Var>,
    /// Names secret by what they are used for (a PIN or key command), set or not yet.
    forced: BTreeSet<String>,
}

/// True for names that hold secrets by convention: a `_`-separated word `PIN`, `PUK`,
/// `PASSWORD`, `SECRET`, or starting with `KEY` (`KEY`, `KEY1`, `MASTER_KEY`, `KEYS`).
pub fn is_secret_name(name: &str) -> bool {
    name.to_ascii_uppercase()
        .split('_')
        .any(|w| matches!(w, "PIN" | "PUK" | "PASSWORD" | "SECRET") || w.starts_with("KEY"))
}

/// True for a valid variable name: a letter or `_`, then letters, digits or `_`.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Vars {
    /// No variables.
    pub fn new() -> Self {
        Vars::default()
    }

    /// Sets a variable; it is secret when its name says so (see [`is_secret_name`]) or when it
    /// already was secret.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let key = name.to_ascii_uppercase();
        let secret = is_secret_name(&key)
            || self.forced.contains(&key)
            || self.map.get(&key).is_some_and(|v| v.secret);
        self.map.insert(
            key,
            Var {
                value: value.into(),
                secret,
            },
        );
    }

    /// Sets a variable that is masked (`******`) in all output, whatever its name.
    pub fn set_secret(&mut self, name: &str, value: impl Into<String>) {
        self.map.insert(
            name.to_ascii_uppercase(),
            Var {
                value: value.into(),
                secret: true,
            },
        );
    }

    /// Makes `name` secret, now and whenever it is set later (its value goes into a PIN or
    /// key command).
    pub fn mark_secret(&mut self, name: &str) {
        let key = name.to_ascii_uppercase();
        if let Some(v) = self.map.get_mut(&key) {
            v.secret = true;
        }
        self.forced.insert(key);
    }

    /// The value of a variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map
            .get(&name.to_ascii_uppercase())
            .map(|v| v.value.as_str())
    }

    /// True when the variable exists.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(&name.to_ascii_uppercase())
    }

    /// True when the variable is secret (or would be, by its name).
    pub fn is_secret(&self, name: &str) -> bool {
        self.map.get(&name.to_ascii_uppercase()).map_or_else(
            || is_secret_name(name) || self.forced.contains(&name.to_ascii_uppercase()),
            |v| v.secret,
        )
    }

    /// The variable names, upper case, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// Copies every variable of `other` into `self` (other wins).
    pub fn extend(&mut self, other: &Vars) {
        for (k, v) in &other.map {
            self.map.insert(k.clone(), v.clone());
        }
        self.forced.extend(other.forced.iter().cloned());
    }

    /// Reads `K=V` as given to `--set` / `--secret`.
    pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
        let (k, v) = text
            .split_once('=')
            .ok_or_else(|| format!("expected NAME=VALUE, found '{}'", mask_assignment(text)))?;
        let k = k.trim();
        if !is_valid_name(k) {
            return Err(format!(
                "'{k}' is not a variable name (letters, digits and _, not starting with a digit)"
            ));
        }
        Ok((k.to_string(), v.to_string()))
    }

    /// Variables from a JSON object (a record file). Strings, numbers and booleans become
    /// text; nested objects are flattened with `_` (`{"holder":{"name":..}}` gives
    /// `HOLDER_NAME`); arrays and nulls are refused.
    pub fn from_json_str(text: &str) -> Result<Vars, String> {
        crate::input::json_without_duplicate_keys(text).map_err(|e| {
            format!(
                "not valid JSON: {}",
                crate::input::plain(&e.chain().to_string())
            )
        })?;
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                "not valid JSON: {}",
                crate::input::plain(&e.chain().to_string())
            )
        })?;
        let obj = v
            .as_object()
            .ok_or("expected a JSON object of NAME: value pairs at the top level")?;
        let mut vars = Vars::new();
        flatten("", obj, &mut vars)?;
        Ok(vars)
    }

    /// Variables from a JSON file (see [`Vars::from_json_str`]).
    pub fn load_json(path: &Path) -> Result<Vars, ScriptError> {
        let text = crate::input::read_text(path, crate::input::TEXT_MAX).map_err(|source| {
            ScriptError::Io {
                path: path.to_path_buf(),
                source,
            }
        })?;
        Vars::from_json_str(&text).map_err(|problem| ScriptError::VarsFile {
            path: path.to_path_buf(),
            problem,
        })
    }
}

fn flatten(
    prefix: &str,
    obj: &serde_json::Map<String, serde_json::Value>,
    vars: &mut Vars,
) -> Result<(), String> {
    for (k, v) in obj {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}_{k}")
        };
        if !is_valid_name(&name) {
            return Err(format!(
                "key '{name}' is not a variable name (letters, digits and _)"
            ));
        }
        match v {
            serde_json::Value::String(s) => vars.set(&name, s.clone()),
            serde_json::Value::Number(n) => vars.set(&name, n.to_string()),
            serde_json::Value::Bool(b) => vars.set(&name, b.to_string()),
            serde_json::Value::Object(o) => flatten(&name, o, vars)?,
            serde_json::Value::Array(_) | serde_json::Value::Null => {
                return Err(format!(
                    "key '{name}' holds an array or null; only text, numbers, booleans and objects can be variables"
                ));
            }
        }
    }
    Ok(())
}

fn mask_assignment(text: &str) -> String {
    match text.split_once('=') {
        Some((k, _)) => format!("{k}=******"),
        None if text.len() > 12 => "******".to_string(),
        None => text.to_string(),
    }
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in &self.map {
            if v.secret {
                m.entry(k, &"******");
            } else {
                m.entry(k, &v.value);
            }
        }
        m.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "PIN",
            "new_pin",
            "KEY",
            "KEY1",
            "MASTER_KEY",
            "puk",
            "SECRET_X",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["CARD_NUMBER", "PINK", "MONKEY", "SSN", "SPIN"] {
            assert!(!is_secret_name(n), "{n}");
        }
    }

    #[test]
    fn case_insensitive_and_masked_debug() {
        let mut v = Vars::new();
        v.set("card_number", "A00000003");
        v.set("PIN", "123456");
        v.set_secret("OTHER", "ABCD");
        assert_eq!(v.get("CARD_NUMBER"), Some("A00000003"));
        let d = format!("{v:?}");
        assert!(d.contains("A00000003"));
        assert!(!d.contains("123456") && !d.contains("ABCD"), "{d}");
    }

    #[test]
    fn json_records() {
        let v =
            Vars::from_json_str(r#"{"ssn":"110101199012290016","n":5,"holder":{"name":"测试一"}}"#)
                .unwrap();
        assert_eq!(v.get("SSN"), Some("110101199012290016"));
        assert_eq!(v.get("N"), Some("5"));
        assert_eq!(v.get("HOLDER_NAME"), Some("测试一"));
        assert!(
            Vars::from_json_str("[1]")
                .unwrap_err()
                .contains("JSON object")
        );
        assert!(
            Vars::from_json_str(r#"{"a":[1]}"#)
                .unwrap_err()
                .contains("'a'")
        );
        assert!(
            Vars::from_json_str(r#"{"a b":"1"}"#)
                .unwrap_err()
                .contains("'a b'")
        );
    }

    #[test]
    fn assignments() {
        assert_eq!(
            Vars::parse_assignment("PIN=123456").unwrap(),
            ("PIN".to_string(), "123456".to_string())
        );
        let e = Vars::parse_assignment("123456").unwrap_err();
        assert!(e.contains("NAME=VALUE"), "{e}");
        assert!(Vars::parse_assignment("1X=2").is_err());
    }
}
