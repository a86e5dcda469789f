//! An org's validation rules applied to a record's field values.
//!
//! Input is lenient where a CSV or another system gives text: a number may come as a JSON
//! number or a decimal string (`"12.50"`), a checkbox as `true`/`false` or the strings
//! `"true"`/`"false"`. Output is canonical, so validating it again gives it back unchanged.

use super::field::{FieldDef, FieldType};
use super::object::ObjectDef;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Number, Value};

/// Fields every record has that the record store sets, never the writer.
pub const SYSTEM_FIELDS: [&str; 7] = [
    "Id",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
    "IsDeleted",
];

/// The record's owner: every object may carry it (as Salesforce's `OwnerId`), written like a
/// field; the value is a user's or a queue's id (a UUID), or `null`. The record store keeps it
/// as the record's `owner`; sharing checks it before a forward or a stop.
pub const OWNER_FIELD: &str = "OwnerId";

/// Longest email address (as S2S).
pub const EMAIL_MAX_LENGTH: usize = 80;
/// Longest phone number.
pub const PHONE_MAX_LENGTH: usize = 40;
/// Longest URL.
pub const URL_MAX_LENGTH: usize = 255;
/// Longest value of an unrestricted picklist, and longest record id in a lookup.
pub const PICKLIST_MAX_LENGTH: usize = 255;
/// Longest record id in a lookup.
pub const LOOKUP_MAX_LENGTH: usize = 255;

/// Which rule a value broke, named so a user can fix the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleViolation {
    /// The field's API name (`Name`, `Tier__c`); `fields` when the problem is the whole map.
    pub field: String,
    /// `required`, `max_length`, `restricted_picklist`, `number_range`, `type`, `unknown_field`,
    /// `read_only`; also `precision` (too many digits before or after the point) and `format`
    /// (a date, datetime, email, phone or URL that does not parse).
    pub rule: &'static str,
    pub message: String,
}

impl RuleViolation {
    fn new(field: &str, rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            rule,
            message: message.into(),
        }
    }
}

/// Whether the values are a new record (every required field must be there) or a partial
/// update (only the fields present are checked; a required field may not be set to empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Update,
}

/// Checks every value against its field's type and constraints and returns the values in their
/// canonical form (dates as `YYYY-MM-DD`, datetimes in UTC, numbers as JSON numbers, emails
/// trimmed). `null` clears a field. The first violation, in field order, is returned.
///
/// Order: a system field (`read_only`) or a field the object does not have (`unknown_field`)
/// first, in the map's order; then the object's fields in definition order. An empty string
/// (or only whitespace) counts as empty: it clears the field and is returned as `null`.
pub fn validate(
    object: &ObjectDef,
    values: &Map<String, Value>,
    kind: WriteKind,
) -> Result<Map<String, Value>, RuleViolation> {
    for name in values.keys() {
        if SYSTEM_FIELDS.contains(&name.as_str()) {
            return Err(RuleViolation::new(
                name,
                "read_only",
                "is set by PartnerNet and cannot be written",
            ));
        }
        if object.field(name).is_none() && name != OWNER_FIELD {
            return Err(RuleViolation::new(
                name,
                "unknown_field",
                format!("{} has no field {name}", object.api_name),
            ));
        }
    }
    let mut out = Map::new();
    for field in &object.fields {
        let name = field.api_name.as_str();
        let canonical = match values.get(name) {
            None => {
                if field.required && kind == WriteKind::Create {
                    return Err(RuleViolation::new(name, "required", "is required"));
                }
                continue;
            }
            Some(value) if is_empty(value) => Value::Null,
            Some(value) => value_of(field, value)?,
        };
        if canonical.is_null() && field.required {
            return Err(RuleViolation::new(
                name,
                "required",
                "is required and cannot be empty",
            ));
        }
        out.insert(name.to_string(), canonical);
    }
    if object.field(OWNER_FIELD).is_none()
        && let Some(owner) = values.get(OWNER_FIELD)
    {
        out.insert(OWNER_FIELD.to_string(), owner_of(owner)?);
    }
    Ok(out)
}

/// The canonical `OwnerId`: a UUID in lower case, or `null` to clear it.
fn owner_of(value: &Value) -> Result<Value, RuleViolation> {
    if is_empty(value) {
        return Ok(Value::Null);
    }
    value
        .as_str()
        .and_then(|s| uuid::Uuid::parse_str(s.trim()).ok())
        .map(|id| Value::String(id.to_string()))
        .ok_or_else(|| {
            RuleViolation::new(
                OWNER_FIELD,
                "format",
                "must be the id of a user or a queue of your org (a UUID)",
            )
        })
}

/// Checks one non-empty value against its field and returns its canonical form.
pub fn value_of(field: &FieldDef, value: &Value) -> Result<Value, RuleViolation> {
    let name = field.api_name.as_str();
    match &field.field_type {
        FieldType::Text { max_length }
        | FieldType::LongText { max_length }
        | FieldType::RichText { max_length }
        | FieldType::Encrypted { max_length } => {
            let s = string(name, value)?;
            max_chars(name, s, *max_length as usize)?;
            Ok(Value::String(s.to_string()))
        }
        FieldType::Number { precision, scale }
        | FieldType::Currency { precision, scale }
        | FieldType::Percent { precision, scale } => number(field, value, *precision, *scale),
        FieldType::Date => {
            let s = string(name, value)?.trim();
            parse_date(s)
                .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
                .ok_or_else(|| RuleViolation::new(name, "format", "must be a date YYYY-MM-DD"))
        }
        FieldType::Datetime => {
            let s = string(name, value)?.trim();
            DateTime::parse_from_rfc3339(s)
                .map(|d| Value::String(canonical_datetime(d.with_timezone(&Utc))))
                .map_err(|_| {
                    RuleViolation::new(
                        name,
                        "format",
                        "must be an RFC 3339 date and time, e.g. 2026-11-24T09:30:00Z",
                    )
                })
        }
        FieldType::Checkbox => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(RuleViolation::new(name, "type", "must be true or false")),
        },
        FieldType::Email => {
            let s = string(name, value)?.trim();
            max_chars(name, s, EMAIL_MAX_LENGTH)?;
            crate::validate::email(name, s)
                .map(Value::String)
                .map_err(|e| RuleViolation::new(name, "format", e.reason))
        }
        FieldType::Phone => {
            let s = string(name, value)?.trim();
            max_chars(name, s, PHONE_MAX_LENGTH)?;
            if is_phone(s) {
                Ok(Value::String(s.to_string()))
            } else {
                Err(RuleViolation::new(
                    name,
                    "format",
                    "must be a phone number: digits, spaces and + - ( ) . / with at least 3 digits, \
                     and optionally an extension (x12, ext. 12)",
                ))
            }
        }
        FieldType::Url => {
            let s = string(name, value)?.trim();
            max_chars(name, s, URL_MAX_LENGTH)?;
            if is_url(s) {
                Ok(Value::String(s.to_string()))
            } else {
                Err(RuleViolation::new(
                    name,
                    "format",
                    "must be an http:// or https:// URL with a host",
                ))
            }
        }
        FieldType::Picklist { values, restricted } => {
            let s = string(name, value)?.trim();
            // A known value arrives spelt as defined, whatever its case.
            if let Some(known) = values.iter().find(|v| v.eq_ignore_ascii_case(s)) {
                return Ok(Value::String(known.clone()));
            }
            if *restricted {
                return Err(RuleViolation::new(
                    name,
                    "restricted_picklist",
                    format!("must be one of: {}", values.join(", ")),
                ));
            }
            max_chars(name, s, PICKLIST_MAX_LENGTH)?;
            Ok(Value::String(s.to_string()))
        }
        FieldType::Lookup { .. } => {
            let s = string(name, value)?.trim();
            max_chars(name, s, LOOKUP_MAX_LENGTH)?;
            Ok(Value::String(s.to_string()))
        }
        FieldType::Geolocation => geolocation(name, value),
    }
}

/// `null`, or a string of only whitespace.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn string<'a>(name: &str, value: &'a Value) -> Result<&'a str, RuleViolation> {
    value
        .as_str()
        .ok_or_else(|| RuleViolation::new(name, "type", "must be a string"))
}

fn max_chars(name: &str, s: &str, max: usize) -> Result<(), RuleViolation> {
    let len = s.chars().count();
    if len > max {
        return Err(RuleViolation::new(
            name,
            "max_length",
            format!("must be at most {max} characters (is {len})"),
        ));
    }
    Ok(())
}

/// Exactly `YYYY-MM-DD` (chrono alone would also take `2026-1-5`).
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// UTC with `Z`, and fractional seconds only when there are some.
pub fn canonical_datetime(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Digits, spaces and `+ - ( ) . /`, at least 3 digits, optionally an extension (`x12`,
/// `ext. 12`).
fn is_phone(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if let Some(at) = lower.rfind("ext").or_else(|| lower.rfind('x')) {
        let (number, ext) = lower.split_at(at);
        let ext = ext
            .strip_prefix("ext")
            .or_else(|| ext.strip_prefix('x'))
            .map(|e| e.trim_start_matches('.').trim());
        return match ext {
            Some(e) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                is_plain_phone(number.trim_end())
            }
            _ => false,
        };
    }
    is_plain_phone(s)
}

fn is_plain_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')' | '.' | '/'))
}

/// `http(s)://host[:port][/...]` with no whitespace or control characters.
fn is_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = match lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    {
        Some(rest) => rest,
        None => return false,
    };
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, _)) => h,
            None => return false,
        }
    } else {
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        };
        if let Some(p) = port
            && (p.is_empty() || p.parse::<u16>().is_err())
        {
            return false;
        }
        host
    };
    !host.is_empty()
        && !host.starts_with('.')
        && !host.ends_with('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '_'))
}

/// A decimal within `precision` digits, `scale` of them after the point, and within the
/// field's `min`/`max`. Returned as a JSON integer when it has no fraction, else a float (a
/// double: beyond 15 significant digits the value is the nearest double).
fn number(
    field: &FieldDef,
    value: &Value,
    precision: u8,
    scale: u8,
) -> Result<Value, RuleViolation> {
    let name = field.api_name.as_str();
    let text = match value {
        Value::Number(n) => number_text(n),
        Value::String(s) => s.trim().to_string(),
        _ => return Err(RuleViolation::new(name, "type", "must be a number")),
    };
    let Some(decimal) = Decimal::parse(&text) else {
        return Err(RuleViolation::new(name, "type", "must be a number"));
    };
    let int_max = usize::from(precision.saturating_sub(scale));
    if decimal.int_digits > int_max || decimal.frac_digits > usize::from(scale) {
        return Err(RuleViolation::new(
            name,
            "precision",
            format!("must have at most {int_max} digits before the point and {scale} after it"),
        ));
    }
    let Ok(f) = text.parse::<f64>() else {
        return Err(RuleViolation::new(name, "type", "must be a number"));
    };
    if field.min.is_some_and(|min| f < min) || field.max.is_some_and(|max| f > max) {
        let bound = |b: Option<f64>| b.map_or("-".to_string(), |b| b.to_string());
        return Err(RuleViolation::new(
            name,
            "number_range",
            format!(
                "must be between {} and {}",
                bound(field.min),
                bound(field.max)
            ),
        ));
    }
    if decimal.frac_digits == 0
        && let Ok(i) = decimal.integer_text().parse::<i64>()
    {
        return Ok(Value::Number(Number::from(i)));
    }
    // A fraction lost to binary floating point (`-140737488355328.99` is the integral double
    // `-140737488355329.0`) is stored as the integer it became, so the output is a fixed point.
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        return Ok(Value::Number(Number::from(f as i64)));
    }
    Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| RuleViolation::new(name, "type", "must be a finite number"))
}

/// A JSON number as plain decimal text (Rust's float formatting never uses an exponent).
fn number_text(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        n.as_f64().map_or_else(String::new, |f| f.to_string())
    }
}

/// The digits of a plain decimal `[+-]digits[.digits]`, leading zeros of the integer part and
/// trailing zeros of the fraction not counted.
struct Decimal {
    negative: bool,
    int: String,
    int_digits: usize,
    frac_digits: usize,
}

impl Decimal {
    fn parse(s: &str) -> Option<Self> {
        let (negative, unsigned) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = match unsigned.split_once('.') {
            Some((i, f)) => (i, f),
            None => (unsigned, ""),
        };
        let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let int = int.trim_start_matches('0');
        Some(Self {
            negative,
            int: int.to_string(),
            int_digits: int.len(),
            frac_digits: frac.trim_end_matches('0').len(),
        })
    }

    fn integer_text(&self) -> String {
        let digits = if self.int.is_empty() { "0" } else { &self.int };
        if self.negative && digits != "0" {
            format!("-{digits}")
        } else {
            digits.to_string()
        }
    }
}

/// `{"latitude": -90..=90, "longitude": -180..=180}`, nothing else.
fn geolocation(name: &str, value: &Value) -> Result<Value, RuleViolation> {
    let shape = || {
        RuleViolation::new(
            name,
            "type",
            "must be an object {\"latitude\": number, \"longitude\": number}",
        )
    };
    let obj = value.as_object().ok_or_else(shape)?;
    if obj.len() != 2 {
        return Err(shape());
    }
    let coordinate = |key: &str, limit: f64| -> Result<f64, RuleViolation> {
        let v = obj.get(key).and_then(Value::as_f64).ok_or_else(shape)?;
        if !(-limit..=limit).contains(&v) {
            return Err(RuleViolation::new(
                name,
                "number_range",
                format!("{key} must be between -{limit} and {limit}"),
            ));
        }
        Ok(v)
    };
    let latitude = coordinate("latitude", 90.0)?;
    let longitude = coordinate("longitude", 180.0)?;
    let mut out = Map::new();
    out.insert("latitude".into(), canonical_f64(latitude));
    out.insert("longitude".into(), canonical_f64(longitude));
    Ok(Value::Object(out))
}

fn canonical_f64(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

#[cfg(test)]
mod tests;
