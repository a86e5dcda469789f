DROP TABLE invitation.connection_templates;
