-- Each request for a sign-in link, to limit them per email address and per client address over
-- a window (counted here, so the limit holds across processes). Both keys are SHA-256 digests:
-- the table keeps no address in clear, not even of visitors who are no users.
CREATE TABLE invitation.sign_in_requests (
    id bigserial PRIMARY KEY,
    email_hash bytea NOT NULL,
    client_hash bytea NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_requests_by_email ON invitation.sign_in_requests (email_hash, requested_at);
CREATE INDEX sign_in_requests_by_client ON invitation.sign_in_requests (client_hash, requested_at);
CREATE INDEX sign_in_requests_by_time ON invitation.sign_in_requests (requested_at);
