DROP TABLE sync.subscription_mappings;
