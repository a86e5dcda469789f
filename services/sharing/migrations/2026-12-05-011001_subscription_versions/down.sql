DROP TABLE sharing.subscription_versions;
