//! Checks of arguments that come from JavaScript, before anything goes on the wire.
//!
//! The browser face turns each JS value into an [`Arg`] (its `typeof`, and the value for
//! primitives); the functions here accept or refuse it with an `invalid_argument` error
//! whose message names the parameter and says what was expected.

use chatix_protocol::{limits, ApiError, ErrorCode};

/// A JS argument, as far as validation cares.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// `undefined` (or absent).
    Undefined,
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Str(String),
    /// Anything else, with its kind (`object`, `array`, `function`, …).
    Other(&'static str),
}

impl Arg {
    /// What the value is, in words (`the number 5`, `an array`), for error messages.
    pub fn kind(&self) -> String {
        match self {
            Arg::Undefined => "undefined".into(),
            Arg::Null => "null".into(),
            Arg::Bool(_) => "a boolean".into(),
            Arg::Number(n) => format!("the number {}", number(*n)),
            Arg::Str(_) => "a string".into(),
            Arg::Other(k) => format!(
                "a{} {k}",
                if k.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "n"
                } else {
                    ""
                }
            ),
        }
    }

    /// Absent (`undefined` or `null`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Arg::Undefined | Arg::Null)
    }
}

/// A number as JavaScript prints it, for messages (`5`, `1.5`, `NaN`, `1e+21`). In the
/// browser the engine prints it (`Number.prototype.toString`, a JS builtin): Rust's float
/// formatting, or the digits computed here, would weigh over a kilobyte of the `.wasm`.
#[cfg(target_arch = "wasm32")]
pub fn number(n: f64) -> String {
    js_sys::Number::from(n)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

/// [`number`] off the browser (native tests, the server's fault tests): the same text,
/// computed without Rust's float formatting, six decimals at most (the tests pin it to
/// what JavaScript prints).
#[cfg(not(target_arch = "wasm32"))]
pub fn number(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if n < 0.0 { "-" } else { "" };
    let a = n.abs();
    if a >= 1e21 {
        // Mantissa and exponent by division: no `powf`/`log10` (libm) in the wasm.
        let (mut m, mut exp) = (a, 0u32);
        while m >= 10.0 {
            m /= 10.0;
            exp += 1;
        }
        return format!("{sign}{}e+{exp}", number(m));
    }
    if a >= 9.0e15 {
        return format!("{sign}{}", big_integer(a));
    }
    let micros = (a * 1e6).round() as u64;
    let (int, frac) = (micros / 1_000_000, micros % 1_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let digits = format!("{frac:06}");
    format!("{sign}{int}.{}", digits.trim_end_matches('0'))
}

/// The digits of an integral `a` in [9e15, 1e21), with 64-bit arithmetic only (u128
/// division pulls a kilobyte of compiler builtins into the wasm, std's u128 formatting
/// more). Below 2^64 it is a `u64`; above, `a` is a multiple of 2^12 (its spacing there), so
/// it is `a / 4096` (exact, below 2^57) times 4096, multiplied out in base-10^9 limbs.
#[cfg(not(target_arch = "wasm32"))]
fn big_integer(a: f64) -> String {
    if a < 18_446_744_073_709_549_568.0 {
        return (a as u64).to_string();
    }
    const BASE: u64 = 1_000_000_000;
    let mut m = (a / 4096.0) as u64;
    let mut limbs = Vec::new();
    while m > 0 {
        limbs.push(m % BASE);
        m /= BASE;
    }
    let mut carry = 0;
    for l in &mut limbs {
        let v = *l * 4096 + carry;
        *l = v % BASE;
        carry = v / BASE;
    }
    while carry > 0 {
        limbs.push(carry % BASE);
        carry /= BASE;
    }
    let mut out = String::new();
    for (i, l) in limbs.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&l.to_string());
        } else {
            out.push_str(&format!("{l:09}"));
        }
    }
    out
}

/// Flat metadata from a JS object's entries: strings, finite numbers and booleans only,
/// within the documented limits.
pub fn metadata(
    name: &str,
    entries: Vec<(String, Arg)>,
) -> Result<chatix_protocol::Metadata, ApiError> {
    use chatix_protocol::MetaValue;
    let mut m = chatix_protocol::Metadata::new();
    for (k, v) in entries {
        let v = match v {
            Arg::Str(s) => MetaValue::Str(s),
            Arg::Number(n) if n.is_finite() => MetaValue::Num(n),
            Arg::Number(_) => {
                return Err(invalid(format!(
                    "{name}.{k}: metadata numbers must be finite"
                )))
            }
            Arg::Bool(b) => MetaValue::Bool(b),
            Arg::Null | Arg::Undefined => {
                return Err(invalid(format!(
                    "{name}.{k}: metadata values cannot be null (remove the key instead)"
                )))
            }
            Arg::Other(kind) => {
                return Err(invalid(format!(
                    "{name}.{k}: metadata values cannot be {kind}s: metadata is flat"
                )))
            }
        };
        m.insert(k, v);
    }
    chatix_protocol::metadata::validate(&m).map_err(invalid)?;
    Ok(m)
}

pub fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidArgument, msg)
}

/// `name must be WHAT, got KIND`: every type refusal's one message (one formatting in the
/// .wasm instead of one per check).
pub fn wrong(name: &str, what: &str, a: &Arg) -> ApiError {
    invalid(format!("{name} must be {what}, got {}", a.kind()))
}

/// `items` joined by `sep` (for error messages; std's `join` is 0.8 KB of the .wasm).
pub fn list(items: &[&str], sep: &str) -> String {
    let mut out = String::new();
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(s);
    }
    out
}

/// An optional boolean (absent → false).
pub fn flag(name: &str, a: &Arg) -> Result<bool, ApiError> {
    match a {
        Arg::Bool(b) => Ok(*b),
        a if a.is_absent() => Ok(false),
        other => Err(wrong(name, "a boolean", other)),
    }
}

/// A required non-empty string.
pub fn string(name: &str, a: &Arg) -> Result<String, ApiError> {
    match a {
        Arg::Str(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Arg::Str(_) => Err(invalid(format!("{name} must not be empty"))),
        other => Err(wrong(name, "a string", other)),
    }
}

/// An optional string (absent → `None`).
pub fn opt_string(name: &str, a: &Arg) -> Result<Option<String>, ApiError> {
    if a.is_absent() {
        Ok(None)
    } else {
        string(name, a).map(Some)
    }
}

/// An optional string taken as it is (absent → `None`; empty allowed, not trimmed).
pub fn opt_raw_string(name: &str, a: &Arg) -> Result<Option<String>, ApiError> {
    match a {
        Arg::Str(s) => Ok(Some(s.clone())),
        a if a.is_absent() => Ok(None),
        other => Err(wrong(name, "a string", other)),
    }
}

/// Whether a username's characters are allowed: Unicode letters and digits (Rust's
/// `char::is_alphanumeric`) and `._@+-`, the server's rule. The browser build passes an
/// equivalent check run by the JS engine (`web::js::username_chars`) so that Rust's Unicode
/// tables (2 KB of the gzipped .wasm) stay out of it.
pub fn unicode_username_chars(u: &str) -> bool {
    u.chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '-'))
}

/// A username: a non-empty string of letters, digits and `._@+-`, at most 100 characters;
/// `chars_ok` judges the characters ([`unicode_username_chars`] or the engine's own).
pub fn username(name: &str, a: &Arg, chars_ok: fn(&str) -> bool) -> Result<String, ApiError> {
    let u = string(name, a)?;
    if u.chars().count() > limits::MAX_USERNAME_CHARS || !chars_ok(&u) {
        return Err(invalid(format!(
            "{name} \"{u}\" must be 1-{} letters, digits or . _ @ + -",
            limits::MAX_USERNAME_CHARS
        )));
    }
    Ok(u)
}

/// An optional positive integer in `1..=max` (absent → `None`).
pub fn opt_int(name: &str, a: &Arg, max: u32) -> Result<Option<u32>, ApiError> {
    match a {
        Arg::Undefined | Arg::Null => Ok(None),
        Arg::Number(n) if n.fract() == 0.0 && *n >= 1.0 && *n <= max as f64 => Ok(Some(*n as u32)),
        Arg::Number(n) => Err(invalid(format!(
            "{name} must be a whole number from 1 to {max}, got {}",
            number(*n)
        ))),
        other => Err(wrong(name, "a number", other)),
    }
}

/// A page number (1-based).
pub fn page(name: &str, a: &Arg) -> Result<Option<u32>, ApiError> {
    opt_int(name, a, 1_000_000)
}

/// Message text for a send: a string within the length limit.
pub fn text(name: &str, a: &Arg, max_chars: usize) -> Result<String, ApiError> {
    let t = match a {
        Arg::Str(s) => s.clone(),
        other => return Err(wrong(name, "a string", other)),
    };
    if t.trim().is_empty() {
        return Err(invalid(format!("{name} must not be empty")));
    }
    let n = t.chars().count();
    if n > max_chars {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("{name} is {n} characters; at most {max_chars} are allowed"),
        ));
    }
    Ok(t)
}

/// A list of usernames (at most `max`).
pub fn usernames(
    name: &str,
    items: &[Arg],
    max: usize,
    chars_ok: fn(&str) -> bool,
) -> Result<Vec<String>, ApiError> {
    if items.len() > max {
        return Err(invalid(format!(
            "{name} has {} entries; at most {max} are allowed",
            items.len()
        )));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, a)| username(&format!("{name}[{i}]"), a, chars_ok))
        .collect()
}

/// Usernames and whether the server's rule allows them: letters and digits of any script
/// (`Nd`, `Nl` and `No` digits too) and `._@+-`; no spaces, punctuation, symbols or emoji.
/// The native tests and the browser test of the engine's check both go through it.
pub const USERNAME_CASES: &[(&str, bool)] = &[
    ("ann", true),
    ("Ann.B_c@d+e-f", true),
    ("José", true),
    ("名前", true),
    ("Ωμέγα", true),
    ("٣٤", true),
    ("Ⅻ", true),
    ("½", true),
    ("a b", false),
    ("a!b", false),
    ("a/b", false),
    ("a\u{1F600}", false),
    ("a\u{200B}b", false),
    ("€", false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_usernames() {
        assert_eq!(
            string("username", &Arg::Str(" ann ".into())).unwrap(),
            "ann"
        );
        let e = string("username", &Arg::Undefined).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument);
        assert_eq!(e.message, "username must be a string, got undefined");
        assert!(string("username", &Arg::Number(5.0))
            .unwrap_err()
            .message
            .contains("got the number 5"));
        let ok = metadata(
            "m",
            vec![
                ("a".into(), Arg::Str("x".into())),
                ("b".into(), Arg::Number(2.0)),
                ("c".into(), Arg::Bool(true)),
            ],
        )
        .unwrap();
        assert_eq!(ok.len(), 3);
        for (bad, says) in [
            (Arg::Other("object"), "cannot be objects"),
            (Arg::Other("array"), "cannot be arrays"),
            (Arg::Null, "cannot be null"),
            (Arg::Number(f64::NAN), "finite"),
        ] {
            let e = metadata("m", vec![("k".into(), bad)]).unwrap_err();
            assert!(e.message.contains(says), "{}", e.message);
        }
        let many = (0..33)
            .map(|i| (format!("k{i}"), Arg::Bool(true)))
            .collect();
        assert!(metadata("m", many).unwrap_err().message.contains("at most"));
        for (n, s) in [
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (3.0, "3"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
            (1e20, "100000000000000000000"),
            (2.5e30, "2.5e+30"),
            (9_007_199_254_740_993.0, "9007199254740992"),
            (1.5e300, "1.5e+300"),
            (9007199254740993.0, "9007199254740992"),
            (18446744073709551616.0, "18446744073709551616"),
            (36893488147419111424.0, "36893488147419111424"),
            (999999999999999868928.0, "999999999999999868928"),
        ] {
            assert_eq!(number(n), s);
        }
        assert!(string("username", &Arg::Str("  ".into()))
            .unwrap_err()
            .message
            .contains("empty"));
        assert!(username("username", &Arg::Str("a b".into()), unicode_username_chars).is_err());
        for (u, ok) in USERNAME_CASES {
            assert_eq!(unicode_username_chars(u), *ok, "{u}");
        }
        assert!(string("x", &Arg::Other("object"))
            .unwrap_err()
            .message
            .ends_with("an object"));
    }

    #[test]
    fn raw_strings_keep_empty_and_spaces_and_refuse_other_types() {
        assert_eq!(opt_raw_string("email", &Arg::Undefined).unwrap(), None);
        assert_eq!(
            opt_raw_string("email", &Arg::Str(" a ".into())).unwrap(),
            Some(" a ".into())
        );
        assert_eq!(
            opt_raw_string("email", &Arg::Str(String::new())).unwrap(),
            Some(String::new())
        );
        let e = opt_raw_string("email", &Arg::Number(5.0)).unwrap_err();
        assert_eq!(e.message, "email must be a string, got the number 5");
    }

    #[test]
    fn pages_and_counts() {
        assert_eq!(page("page", &Arg::Undefined).unwrap(), None);
        assert_eq!(page("page", &Arg::Number(3.0)).unwrap(), Some(3));
        for bad in [
            Arg::Number(0.0),
            Arg::Number(-1.0),
            Arg::Number(1.5),
            Arg::Str("2".into()),
        ] {
            assert_eq!(
                page("page", &bad).unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{bad:?}"
            );
        }
        assert_eq!(
            opt_int("count", &Arg::Number(100.0), 100).unwrap(),
            Some(100)
        );
        assert!(opt_int("count", &Arg::Number(101.0), 100).is_err());
    }

    #[test]
    fn text_limits() {
        assert_eq!(
            text("text", &Arg::Str("x".repeat(11)), 10)
                .unwrap_err()
                .code,
            ErrorCode::PayloadTooLarge
        );
        assert!(text("text", &Arg::Str(" ".into()), 10).is_err());
        let names = [Arg::Str("a".into()), Arg::Number(1.0)];
        assert!(usernames("usernames", &names, 10, unicode_username_chars)
            .unwrap_err()
            .message
            .starts_with("usernames[1]"));
    }
}
