//! An org's object schemas: reading them ([`store`]), the rules of defining them ([`define`]),
//! and the changes ([`changes`]), each one a new schema version and an `ObjectSchemaChangedV1`.

pub mod changes;
pub mod define;
pub mod store;
