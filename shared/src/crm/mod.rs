//! The CRM object model and the rules of sharing it, as pure code with no I/O.
//!
//! Both the sharing service (schemas, publications, mappings) and the sync service (records)
//! use these types and rules, so a field type, a validation rule or a compatible mapping pair is
//! defined once:
//! - [`field`]: field types and field definitions;
//! - [`object`]: object definitions and API names;
//! - [`standard`]: the standard objects, their standard fields and default published fields;
//! - [`values`]: an org's validation rules applied to a record's field values;
//! - [`mapping`]: publishability, object and field mapping rules, auto-map, picklist values;
//! - [`schema`]: checks on an org's custom object and custom field definitions;
//! - [`link_fields`]: which record changes may end or move the record's shared links.

pub mod field;
pub mod link_fields;
pub mod mapping;
pub mod object;
pub mod schema;
pub mod standard;
pub mod values;

#[cfg(test)]
mod doc_tests;
#[cfg(test)]
mod proptests;

pub use field::{FieldDef, FieldType};
pub use object::ObjectDef;
