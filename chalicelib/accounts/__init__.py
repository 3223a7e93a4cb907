"""End-user authentication: password hashing and checking."""
