"""The data model: the schema, the database file and its versions (db), the import dictionary
of fields and their codes (dictionary)."""
