//! Record links (S2S `PartnerNetworkRecordConnection`): a record forwarded over a connection,
//! the receiver's inbox and its answer, and the link rows of both sides.
//! - [`status`]: the six statuses and the two directions;
//! - [`authority`]: who may forward a record and stop sharing it (owner, above, admin);
//! - [`rules`]: what blocks a forward and what it sends (pure);
//! - [`forward`]: the sender's forward and dry run;
//! - [`forward_children`]: the child records a forward sends with its records;
//! - [`inbox`]: the receiver's offers, accept and reject;
//! - [`held`]: the receiver's child records, held until their parent's copy exists;
//! - [`product_lines`]: the receiver's conditions on an opportunity product;
//! - [`answers`]: the consumers of the messages that move a link (arrival, sync's answer, the
//!   receiver's answer);
//! - [`deactivation`]: a deactivated connection's links ending, its offers withdrawn;
//! - [`ending`]: stop sharing, and the partner's side of a link that ended;
//! - [`record_ends`]: a linked record deleted or converted ends its links (from sync's
//!   change feed);
//! - [`store`]: link rows as stored, and the lists read from them;
//! - [`withdrawn`]: an offer whose link ended before it arrived is dropped.

pub mod answers;
pub mod authority;
pub mod deactivation;
pub mod ending;
pub mod forward;
pub mod forward_children;
pub mod held;
pub mod inbox;
pub mod product_lines;
pub mod record_ends;
pub mod rules;
pub mod status;
pub mod store;
pub mod withdrawn;
