DROP TABLE sharing.withdrawn_offers;
