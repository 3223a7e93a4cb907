"""One function per endpoint: (context, request values) → a result value."""
