-- Why the partner has not created its copy of a record the org forwarded (its validation
-- rules refused it, or an opportunity product's conditions are not met): the receiver's
-- reason, told back by `sharing.record_held.v1`, shown on the sender's External Sharing list
-- while the link is Pending (sent). The last reason wins.
CREATE TABLE sharing.receiver_errors (
    link_id uuid PRIMARY KEY REFERENCES sharing.record_links (id) ON DELETE CASCADE,
    error text NOT NULL,
    reported_at timestamptz NOT NULL
);
