-- The org's role hierarchy (who is above whom, for sharing a subordinate's records) and its
-- queues of users (an accepted copy may be assigned to one). A role's parent is named when the
-- role is made and never changes, so the hierarchy has no cycles.
CREATE TABLE identity.roles (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES identity.orgs (id),
    name text NOT NULL,
    parent_id uuid REFERENCES identity.roles (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
CREATE INDEX roles_parent ON identity.roles (parent_id);

ALTER TABLE identity.users ADD COLUMN role_id uuid REFERENCES identity.roles (id);

CREATE TABLE identity.queues (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES identity.orgs (id),
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE identity.queue_members (
    queue_id uuid NOT NULL REFERENCES identity.queues (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES identity.users (id),
    PRIMARY KEY (queue_id, user_id)
);
