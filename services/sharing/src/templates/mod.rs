//! Connection templates: stored sets of published objects ([`store`]), applied to connections
//! by a request or when chosen for a connection ([`apply`], [`chosen`]).

pub mod apply;
pub mod chosen;
pub mod store;
