"""CRM connectors, one module per Source.Kind (see `sources.execute.connector`)."""
