//! Every unknown field of a scenario file at once, each with what was
//! probably meant.
//!
//! serde's `deny_unknown_fields` stops at the first unknown field and lists
//! every field of its struct; a user who misspelt two wants both named and
//! the one each was meant to be. So the file's JSON is walked here, against
//! the field names serde's derive itself gives each struct ([`fields_of`]),
//! before the typed structs (which ignore unknown fields) are read.

use super::consumer_config::kafka_key;
use super::file::{CommitFile, OffsetsTopicFile, ScenarioFile};
use super::hints::closest;
use super::{OffsetsConfig, Problem};
use serde::Deserialize;
use serde::de::{self, Visitor};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// The objects nested in a scenario file, by the field that holds them.
fn nested(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "commit" => Some(fields_of::<CommitFile>()),
        "offsets_topic" => Some(fields_of::<OffsetsTopicFile>()),
        "offsets" => Some(fields_of::<OffsetsConfig>()),
        _ => None,
    }
}

/// A problem for every key of the file's objects that is not a field,
/// in the file's order. `text` is the file, for each key's line and column.
pub(super) fn unknown_fields(text: &[u8], file: &Value) -> Vec<Problem> {
    let Value::Object(top) = file else { return Vec::new() };
    let positions = key_positions(text);
    let mut problems = Vec::new();
    let mut visit = |path: &str, object: &Map<String, Value>, fields: &[&str]| {
        for key in object.keys().filter(|k| !fields.contains(&k.as_str())) {
            let at = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            let message = describe(path, key, fields);
            let position = positions.get(&at).copied();
            problems.push(Problem { position, ..Problem::new(None, message) });
        }
    };
    let top_fields = fields_of::<ScenarioFile>();
    visit("", top, top_fields);
    for (field, value) in top {
        if let (Some(fields), Value::Object(inner)) = (nested(field), value) {
            visit(field, inner, fields);
        }
    }
    if let Some(Value::Object(expect)) = top.get("expect")
        && expect.contains_key("gate")
    {
        let message = "`gate` is a field of its own, beside `expect`, not a property: \
                       \"gate\": \"named\", \"expect\": {…}";
        let position = positions.get("expect.gate").copied();
        problems.push(Problem { position, ..Problem::new(Some("expect"), message.into()) });
    }
    problems.sort_by_key(|p| p.position);
    problems
}

/// The type errors of the file's fields other than `first` (the top-level
/// field of the error serde stopped at, already reported), each found by
/// reading that field alone beside the required fields of a valid file:
/// serde stops at a file's first type error, and a user with two misspelt
/// values wants both. Each is placed at its key (a `Value` has no
/// positions), in the file's order.
pub(super) fn other_type_errors(text: &[u8], file: &Value, first: Option<&str>) -> Vec<Problem> {
    let Value::Object(top) = file else { return Vec::new() };
    let positions = key_positions(text);
    let known = fields_of::<ScenarioFile>();
    let mut problems = Vec::new();
    for (key, value) in top.iter().filter(|(k, _)| Some(k.as_str()) != first && known.contains(&k.as_str())) {
        let mut probe = required_fields();
        probe.insert(key.clone(), value.clone());
        let Err(e) = serde_path_to_error::deserialize::<_, ScenarioFile>(Value::Object(probe)) else {
            continue;
        };
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let message = super::hints::variant_meant(&message).unwrap_or(message);
        let position = positions.get(&path).or_else(|| positions.get(key)).copied();
        problems.push(Problem { position, ..Problem::new(Some(&path), message) });
    }
    problems.sort_by_key(|p| p.position);
    problems
}

/// A value for each field a scenario file must write, of its type.
fn required_fields() -> Map<String, Value> {
    let base = serde_json::json!({
        "name": "n", "partitions": 1, "messages": 1, "consumers": 1, "strategy": "at-least-once"
    });
    match base {
        Value::Object(fields) => fields,
        _ => Map::new(),
    }
}

/// `unknown field `key``, then what was meant: the knob of a Kafka setting,
/// a field of a nested object written at the top (or a top-level one
/// nested), the closest field name; else the fields there are.
fn describe(path: &str, key: &str, fields: &[&str]) -> String {
    let unknown = match path {
        "" => format!("unknown field `{key}`"),
        _ => format!("unknown field `{key}` in `{path}`"),
    };
    if let Some((kafka, field)) = kafka_key(key) {
        let config = format!("\"consumer_config\": {{\"{kafka}\": \"…\"}}");
        return match field {
            Some(field) => format!(
                "{unknown}: `{kafka}` is a Kafka consumer setting; its field here is `{field}`, \
                 or write the setting as Kafka spells it in {config}"
            ),
            None => format!(
                "{unknown}: `{kafka}` is a Kafka consumer setting with no field of its own; write it \
                 in {config}, and `check` notes what the model makes of it"
            ),
        };
    }
    if path.is_empty()
        && let Some(object) = ["commit", "offsets_topic", "offsets"]
            .into_iter()
            .find(|object| nested(object).is_some_and(|inner| inner.contains(&key)))
    {
        return format!("{unknown}: did you mean `{object}.{key}`, written \"{object}\": {{\"{key}\": …}}?");
    }
    if !path.is_empty() && fields_of::<ScenarioFile>().contains(&key) {
        return format!("{unknown}: `{key}` is a top-level field, written beside `{path}`, not in it");
    }
    if let Some(meant) = closest(key, fields.iter().copied()) {
        return format!("{unknown}: did you mean `{meant}`?");
    }
    if key.contains('.') {
        return format!(
            "{unknown}: scenario fields are snake_case; if it is a Kafka consumer setting, write it in \
             \"consumer_config\": {{\"{key}\": \"…\"}} (`check` notes each key the model does not use)"
        );
    }
    let list: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    format!("{unknown}, expected one of {}", list.join(", "))
}

/// The names serde's derive gives a struct's fields (after renames): the
/// `fields` it passes to `deserialize_struct`, caught by a deserializer
/// that reads nothing else.
pub(super) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    let _ = T::deserialize(&mut names);
    names.0
}

struct FieldNames(&'static [&'static str]);

/// The one error [`FieldNames`] returns: it has read what it needed.
#[derive(Debug)]
struct Caught;

impl fmt::Display for Caught {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field names caught")
    }
}

impl std::error::Error for Caught {}

impl de::Error for Caught {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Caught
    }
}

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = Caught;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Caught> {
        Err(Caught)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Caught> {
        self.0 = fields;
        Err(Caught)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The 1-based line and column (in bytes, as serde_json counts them) of
/// every object key of valid JSON, by its dotted path (`commit.mode`); the
/// first of a repeated key. Keys inside arrays are left out (a scenario
/// has none).
fn key_positions(text: &[u8]) -> BTreeMap<String, (usize, usize)> {
    let mut positions = BTreeMap::new();
    // One entry per open object or array: the object's current key, and
    // whether the next string is a key.
    let mut open: Vec<(Option<String>, bool)> = Vec::new();
    let (mut line, mut line_start) = (1, 0);
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\n' => (line, line_start) = (line + 1, i + 1),
            b'{' => open.push((None, true)),
            b'[' => open.push((None, false)),
            b'}' | b']' => _ = open.pop(),
            b',' => {
                if let Some(top) = open.last_mut() {
                    top.1 = top.0.is_some();
                }
            }
            b'"' => {
                let end = string_end(text, i);
                if let Some(top) = open.last_mut()
                    && top.1
                {
                    let key: String = serde_json::from_slice(&text[i..end]).unwrap_or_default();
                    top.0 = Some(key);
                    top.1 = false;
                    let path: Option<Vec<&str>> = open.iter().map(|(k, _)| k.as_deref()).collect();
                    if let Some(path) = path {
                        positions.entry(path.join(".")).or_insert((line, i - line_start + 1));
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    positions
}

/// The index just past the string that opens at `start`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_are_serdes() {
        let top = fields_of::<ScenarioFile>();
        assert!(top.contains(&"crashes") && top.contains(&"consumer_config") && top.contains(&"expect"));
        assert_eq!(fields_of::<OffsetsConfig>(), ["retention", "reset", "new_group"]);
        assert!(fields_of::<CommitFile>().contains(&"mode"));
    }

    #[test]
    fn the_required_fields_make_a_file() {
        let base = Value::Object(required_fields());
        assert!(serde_json::from_value::<ScenarioFile>(base).is_ok());
    }

    #[test]
    fn keys_are_placed_by_path() {
        let text = b"{\n  \"a\": 1,\n  \"commit\": {\"mode\": \"x\", \"offset\": [\"q\", {\"z\": 1}]},\n  \"b\": \"\\\"\"\n}";
        let p = key_positions(text);
        assert_eq!(p.get("a"), Some(&(2, 3)));
        assert_eq!(p.get("commit"), Some(&(3, 3)));
        assert_eq!(p.get("commit.mode"), Some(&(3, 14)));
        assert_eq!(p.get("commit.offset"), Some(&(3, 27)));
        assert_eq!(p.get("b"), Some(&(4, 3)));
        assert_eq!(p.len(), 5, "{p:?}");
    }
}
