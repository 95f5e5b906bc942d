"""The HTTP plumbing the local stack's servers share (a keep-alive WSGI server)."""
