//! The foundation of PartnerNet's server-rendered web pages: the layout and its stylesheet,
//! HTML escaping, notices, pagination links, browser sessions (cookie `pn_session`), the
//! signed-in user ([`WebUser`]) and CSRF-checked forms ([`CsrfForm`]).
//!
//! A page acts through the API's own handler functions: [`WebUser::principal`] is the
//! [`crate::identity::Principal`] of the session (the user's org and scopes), so every action
//! checks the same permissions and answers the same errors as the API.

pub mod assets;
pub mod csrf;
pub mod escape;
pub mod layout;
pub mod notice;
pub mod pagination;
pub mod problem_page;
pub mod redirect;
pub mod session;
pub mod tables;
pub mod user;

pub use csrf::CsrfForm;
pub use escape::escape;
pub use layout::Page;
pub use user::{MaybeWebUser, WebUser};
