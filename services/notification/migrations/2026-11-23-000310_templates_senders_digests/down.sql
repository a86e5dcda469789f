DROP TABLE notification.digest_items;
DROP TABLE notification.verified_domains;
DROP TABLE notification.senders;
DROP TABLE notification.templates;
