-- The version of each subscription's SubscriptionChangedV1 events: kept when a subscription
-- ends, so a later one (subscribed again) still counts up and a read model never goes back.
CREATE TABLE sharing.subscription_versions (
    connection_id uuid NOT NULL,
    org_id uuid NOT NULL,
    object text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (connection_id, org_id, object)
);
