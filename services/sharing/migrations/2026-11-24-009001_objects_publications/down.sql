DROP TABLE sharing.template_objects;
DROP TABLE sharing.connection_templates;
DROP TABLE sharing.field_mappings;
DROP TABLE sharing.subscriptions;
DROP TABLE sharing.published_objects;
DROP TABLE sharing.schema_versions;
DROP TABLE sharing.object_definitions;
DROP TABLE sharing.connections;
