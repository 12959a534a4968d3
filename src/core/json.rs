//! JSON: the [`Document`] the checks of answers and records read, a small strict reader, and the
//! string writer of the storage records.
//!
//! The SDK reads two kinds of JSON: auth answers from the network and its own records from
//! storage. The checks are written against [`Document`]; in the browser the document is what
//! `JSON.parse` made (`web::json`, no reader in the shipped `.wasm`), on the host it is this
//! module's [`Json`], so the rules are host-tested and fuzzed without a browser. The reader keeps
//! numbers as their source text: callers ask for an integer and get `None` for anything else.
//!
//! Limits that make hostile input harmless: nesting deeper than [`MAX_DEPTH`] is an error, and the
//! reader never recurses more than that, never panics, and never reads past the input.

use crate::prelude::*;

use super::text;

/// Nesting deeper than this is rejected: our answers are flat objects.
pub const MAX_DEPTH: usize = 32;

/// A parsed JSON value. Objects keep their members in source order (duplicates included;
/// [`Json::get`] returns the last, as `JSON.parse` does).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Json {
    Null,
    Bool(bool),
    /// The number's source text, already checked against the JSON grammar.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why a text is not JSON. `at` is a byte offset into the input.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ParseError {
    pub at: usize,
    pub reason: &'static str,
}

impl ParseError {
    /// `<reason> at byte <n>`
    pub fn message(&self) -> String {
        text::cat(&[self.reason, " at byte ", &text::int(self.at as i64)])
    }
}

impl Json {
    /// Parses a whole document: one value, surrounded by optional white space.
    pub fn parse(input: &[u8]) -> Result<Json, ParseError> {
        let mut reader = Reader { input, pos: 0 };
        reader.skip_ws();
        let value = reader.value(0)?;
        reader.skip_ws();
        if reader.pos != input.len() {
            return Err(reader.error("unexpected text after the value"));
        }
        Ok(value)
    }

    /// The member `key` of an object (the last one, if repeated); `None` for other values.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer, if it is a number written without fraction or exponent that
    /// fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(text) => text.parse().ok(),
            _ => None,
        }
    }
}

/// A member of a parsed object, as the checks of answers and records see it.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    Null,
    Bool,
    /// The number, if it is an integer that fits in an `i64`.
    Number(Option<i64>),
    String(String),
    /// A string with a lone surrogate or bytes that are not UTF-8 (`JSON.parse` lets them
    /// through, where this module's reader refuses the document).
    BadString,
    Array,
    Object,
}

impl Value {
    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::BadString => "a string that is not valid Unicode",
            Value::Array => "an array",
            Value::Object => "an object",
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => *n,
            _ => None,
        }
    }

    pub fn into_string(self) -> Option<String> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// A parsed JSON document whose members can be read: [`Json`] from this module's reader, or
/// in the browser the result of `JSON.parse` (`web::json`), which costs the shipped `.wasm`
/// nothing. The checks of answers and records are written against this trait, so both run the
/// same rules.
pub trait Document {
    /// Whether the document is an object (not an array, not null).
    fn is_object(&self) -> bool;
    /// The member `key` of the object (the last, if repeated); `None` if there is none.
    fn member(&self, key: &str) -> Option<Value>;
}

impl Document for Json {
    fn is_object(&self) -> bool {
        matches!(self, Json::Object(_))
    }

    fn member(&self, key: &str) -> Option<Value> {
        Some(match self.get(key)? {
            Json::Null => Value::Null,
            Json::Bool(_) => Value::Bool,
            number @ Json::Number(_) => Value::Number(number.as_i64()),
            Json::String(s) => Value::String(s.clone()),
            Json::Array(_) => Value::Array,
            Json::Object(_) => Value::Object,
        })
    }
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, reason: &'static str) -> ParseError {
        ParseError { at: self.pos, reason }
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_word(&mut self, word: &[u8], value: Json) -> Result<Json, ParseError> {
        if self.input.get(self.pos..).is_some_and(|rest| rest.starts_with(word)) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("unknown word"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'n') => self.expect_word(b"null", Json::Null),
            Some(b't') => self.expect_word(b"true", Json::Bool(true)),
            Some(b'f') => self.expect_word(b"false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.pos += 1; // [
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Json::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, ParseError> {
        self.pos += 1; // {
        let mut members = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a member name"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Json::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<Json, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.error("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("expected a digit after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("expected a digit in the exponent"));
            }
        }
        // Only ASCII bytes were consumed, so this is valid UTF-8.
        let text = self.input.get(start..self.pos).and_then(|b| core::str::from_utf8(b).ok()).ok_or_else(|| self.error("invalid number"))?;
        Ok(Json::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut code = 0u32;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                _ => return Err(self.error("expected four hex digits")),
            };
            code = code * 16 + u32::from(digit);
            self.pos += 1;
        }
        Ok(code)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.pos += 1; // "
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(byte) = self.peek() else {
                return Err(self.error("unterminated string"));
            };
            match byte {
                b'"' => {
                    self.pos += 1;
                    return String::from_utf8(out).map_err(|_| self.error("invalid UTF-8 in a string"));
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = self.peek().ok_or_else(|| self.error("unterminated escape"))?;
                    self.pos += 1;
                    let ch = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("unknown escape")),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                0x00..=0x1f => return Err(self.error("control character in a string")),
                _ => {
                    out.push(byte);
                    self.pos += 1;
                }
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair. Lone surrogates are errors.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.input.get(self.pos..).is_some_and(|rest| rest.starts_with(b"\\u")) {
                return Err(self.error("lone surrogate"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("lone surrogate"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("lone surrogate"))
    }
}

/// Appends `value` to `out` as a JSON string literal.
pub fn write_str(out: &mut String, value: &str) {
    out.push('"');
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn parse(text: &str) -> Result<Json, ParseError> {
        Json::parse(text.as_bytes())
    }

    #[test]
    fn reads_an_auth_answer_shape() {
        let value = parse(r#" {"a": "x", "n": 1800, "z": null, "b": [true, false, -0.5e3], "o": {}} "#).unwrap();
        assert_eq!(value.get("a").and_then(Json::as_str), Some("x"));
        assert_eq!(value.get("n").and_then(Json::as_i64), Some(1800));
        assert_eq!(value.get("z"), Some(&Json::Null));
        assert_eq!(
            value.get("b"),
            Some(&Json::Array(vec![Json::Bool(true), Json::Bool(false), Json::Number("-0.5e3".into())]))
        );
        assert_eq!(value.get("o"), Some(&Json::Object(vec![])));
        assert_eq!(value.get("missing"), None);
    }

    #[test]
    fn a_repeated_key_reads_as_its_last_value() {
        assert_eq!(parse(r#"{"k":1,"k":2}"#).unwrap().get("k").and_then(Json::as_i64), Some(2));
    }

    #[test]
    fn numbers_with_fraction_or_exponent_are_not_integers() {
        for text in ["1.0", "1e3", "-2.5", "99999999999999999999"] {
            assert_eq!(parse(text).unwrap().as_i64(), None, "{text}");
        }
        assert_eq!(parse("-42").unwrap().as_i64(), Some(-42));
    }

    #[test]
    fn decodes_escapes_and_surrogate_pairs() {
        let value = parse(r#""a\"b\\c\/d\n\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(value.as_str(), Some("a\"b\\c/d\né😀"));
    }

    #[test]
    fn rejects_what_is_not_json() {
        let bad = [
            "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "01", "-", "1.", "1e", "+1",
            "nul", "truth", "\"abc", "\"\\x\"", "\"\\ud83d\"", "\"\\udc00\"", "\"\\u12\"", "\"tab\there\"",
            "[1] [2]", "{\"a\":1}x", "'a'", "NaN", "Infinity",
        ];
        for text in bad {
            assert!(parse(text).is_err(), "accepted {text:?}");
        }
    }

    #[test]
    fn rejects_invalid_utf8_in_strings() {
        assert!(Json::parse(b"\"\xff\xfe\"").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep).unwrap_err().reason, "nested too deeply");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn written_strings_read_back_unchanged() {
        for value in ["", "plain", "quote\" backslash\\ newline\n tab\t", "\u{1}\u{1f}", "é😀"] {
            let mut out = String::new();
            write_str(&mut out, value);
            assert_eq!(parse(&out).unwrap().as_str(), Some(value), "{out}");
        }
    }
}
