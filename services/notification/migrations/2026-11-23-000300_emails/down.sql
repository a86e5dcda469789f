DROP SCHEMA notification CASCADE;
