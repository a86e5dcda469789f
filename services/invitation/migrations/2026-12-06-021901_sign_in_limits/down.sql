DROP TABLE invitation.sign_in_requests;
