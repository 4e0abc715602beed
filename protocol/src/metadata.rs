//! Flat metadata: a map from short string keys to a string, a number or a boolean.
//!
//! Both hosted services this API comes from accept only flat values; nested objects, arrays
//! and `null` are refused with a message that says so (rather than serde's generic
//! "did not match any variant").

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

use crate::limits::{MAX_METADATA_ENTRIES, MAX_METADATA_KEY_CHARS, MAX_METADATA_VALUE_CHARS};

/// One metadata value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MetaValue {
    /// A string.
    Str(String),
    /// A finite number.
    Num(f64),
    /// A boolean.
    Bool(bool),
}

/// A flat metadata map, ordered by key so that its JSON is stable.
pub type Metadata = BTreeMap<String, MetaValue>;

impl<'de> Deserialize<'de> for MetaValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MetaValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, a number or a boolean (metadata is flat)")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<MetaValue, E> {
                Ok(MetaValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MetaValue, E> {
                Ok(MetaValue::Num(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MetaValue, E> {
                Ok(MetaValue::Num(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<MetaValue, E> {
                if v.is_finite() {
                    Ok(MetaValue::Num(v))
                } else {
                    Err(E::custom("metadata numbers must be finite"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MetaValue, E> {
                Ok(MetaValue::Str(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<MetaValue, E> {
                Ok(MetaValue::Str(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MetaValue, E> {
                Err(E::custom(
                    "metadata values cannot be null (remove the key instead)",
                ))
            }
            fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<MetaValue, A::Error> {
                Err(de::Error::custom(
                    "metadata values cannot be objects: metadata is flat",
                ))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<MetaValue, A::Error> {
                Err(de::Error::custom(
                    "metadata values cannot be arrays: metadata is flat",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// Checks a metadata map against the documented limits; the error names the offending key.
pub fn validate(meta: &Metadata) -> Result<(), String> {
    if meta.len() > MAX_METADATA_ENTRIES {
        return Err(format!(
            "metadata has {} entries; at most {MAX_METADATA_ENTRIES} are allowed",
            meta.len()
        ));
    }
    for (k, v) in meta {
        let klen = k.chars().count();
        if klen == 0 || klen > MAX_METADATA_KEY_CHARS {
            return Err(format!(
                "metadata key \"{k}\" must be 1 to {MAX_METADATA_KEY_CHARS} characters"
            ));
        }
        if let MetaValue::Str(s) = v {
            if s.chars().count() > MAX_METADATA_VALUE_CHARS {
                return Err(format!(
                    "metadata value of \"{k}\" is longer than {MAX_METADATA_VALUE_CHARS} characters"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_values_parse_and_nested_ones_are_refused_with_a_clear_message() {
        let m: Metadata = serde_json::from_str(r#"{"a":"x","b":2,"c":true,"d":1.5}"#).unwrap();
        assert_eq!(m["a"], MetaValue::Str("x".into()));
        assert_eq!(m["b"], MetaValue::Num(2.0));
        assert_eq!(m["c"], MetaValue::Bool(true));
        let err = serde_json::from_str::<Metadata>(r#"{"a":{"b":1}}"#).unwrap_err();
        assert!(err.to_string().contains("metadata is flat"), "{err}");
        let err = serde_json::from_str::<Metadata>(r#"{"a":[1]}"#).unwrap_err();
        assert!(err.to_string().contains("cannot be arrays"), "{err}");
        let err = serde_json::from_str::<Metadata>(r#"{"a":null}"#).unwrap_err();
        assert!(err.to_string().contains("cannot be null"), "{err}");
    }

    #[test]
    fn validate_names_the_bad_key() {
        let mut m = Metadata::new();
        m.insert("ok".into(), MetaValue::Num(1.0));
        assert!(validate(&m).is_ok());
        m.insert(
            "long".into(),
            MetaValue::Str("x".repeat(MAX_METADATA_VALUE_CHARS + 1)),
        );
        assert!(validate(&m).unwrap_err().contains("\"long\""));
        let too_many: Metadata = (0..=MAX_METADATA_ENTRIES)
            .map(|i| (format!("k{i}"), MetaValue::Bool(true)))
            .collect();
        assert!(validate(&too_many).unwrap_err().contains("entries"));
    }
}
