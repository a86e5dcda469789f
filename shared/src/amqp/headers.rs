//! Reading and writing the headers PartnerNet puts on messages.
//!
//! - `x-attempt`: which attempt this delivery is (1 for the first);
//! - `x-last-error`: why the previous attempt failed;
//! - `x-death-reason`: on a dead letter, why it was dead-lettered;
//! - `x-original-queue`, `x-original-routing-key`: on a dead letter, where it came from;
//! - `traceparent`: W3C trace context.

use lapin::types::{AMQPValue, FieldTable, ShortString};

/// A small builder over lapin's `FieldTable`.
#[derive(Debug, Clone, Default)]
pub struct Headers(FieldTable);

impl Headers {
    pub fn from_table(table: Option<&FieldTable>) -> Self {
        Self(table.cloned().unwrap_or_default())
    }

    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.0
            .insert(ShortString::from(name), AMQPValue::LongString(value.into()));
        self
    }

    pub fn int(mut self, name: &str, value: i64) -> Self {
        self.0
            .insert(ShortString::from(name), AMQPValue::LongLongInt(value));
        self
    }

    pub fn into_table(self) -> FieldTable {
        self.0
    }
}

/// An integer header, whatever integer width the publisher chose.
pub fn header_i64(table: Option<&FieldTable>, name: &str) -> Option<i64> {
    let value = table?.inner().get(&ShortString::from(name))?;
    match value {
        AMQPValue::ShortShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortInt(v) => Some(i64::from(*v)),
        AMQPValue::ShortUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongInt(v) => Some(i64::from(*v)),
        AMQPValue::LongUInt(v) => Some(i64::from(*v)),
        AMQPValue::LongLongInt(v) => Some(*v),
        _ => None,
    }
}

/// A text header.
pub fn header_str(table: Option<&FieldTable>, name: &str) -> Option<String> {
    let value = table?.inner().get(&ShortString::from(name))?;
    match value {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}
