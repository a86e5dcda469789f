-- Sync's read model of subscriptions (from sharing's SubscriptionChangedV1): per connection,
-- subscribing org and published object, what flows and where it lands. Field sync reads it to
-- propagate a change; `version` keeps an older event from overwriting a newer one.
CREATE TABLE sync.subscription_mappings (
    connection_id uuid NOT NULL,
    subscriber_org_id uuid NOT NULL,
    object text NOT NULL,
    publisher_org_id uuid NOT NULL,
    active boolean NOT NULL,
    target_object text,
    auto_accept boolean NOT NULL DEFAULT false,
    -- [{"field", "target_field", "picklist_values": {value: value}}]
    fields jsonb NOT NULL DEFAULT '[]',
    version bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connection_id, subscriber_org_id, object)
);

-- Propagation looks up what a publisher's change of an object feeds.
CREATE INDEX subscription_mappings_by_publisher
    ON sync.subscription_mappings (publisher_org_id, object) WHERE active;
