-- An org's sharing settings. Its currency (ISO 4217, default USD) decides whether opportunity
-- products travel: both orgs of a connection must use the same one. No row: the default.
CREATE TABLE sharing.org_settings (
    org_id     UUID PRIMARY KEY,
    currency   TEXT NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- The sender's currency, as its offer told it: a held opportunity product is checked against
-- the receiver's when it is created under its opportunity's copy, perhaps long after arrival.
ALTER TABLE sharing.inbox ADD COLUMN sender_currency TEXT;
