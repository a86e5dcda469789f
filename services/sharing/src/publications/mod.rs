//! What each side of a connection publishes: checking a request against the org's objects
//! ([`resolve`]), the one function that changes a published set ([`change`]), and what a side
//! sees ([`view`]).

pub mod change;
pub mod resolve;
pub mod view;
