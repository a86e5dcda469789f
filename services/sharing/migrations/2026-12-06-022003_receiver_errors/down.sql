DROP TABLE sharing.receiver_errors;
