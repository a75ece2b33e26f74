"""lapor: the shared layer of the public-service complaint system.

Domain (reports, lifecycle, deadlines, identifiers), the DynamoDB store, envelope encryption,
event publishing, configuration and the HTTP plumbing that every function shares.
"""
