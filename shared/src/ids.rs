//! Newtype ids, so an org id can never be passed where a connection id is expected.

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema, utoipa::ToSchema,
        )]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }
    };
}

define_id!(
    /// An organization: the tenant.
    OrgId
);
define_id!(
    /// A user of an organization.
    UserId
);
define_id!(
    /// A connection between two organizations.
    ConnectionId
);
define_id!(
    /// One message; consumers use it to recognise a redelivery.
    MessageId
);
define_id!(
    /// Ties together every message caused by one request.
    CorrelationId
);
define_id!(
    /// An email in the notification service's outbox.
    EmailId
);
