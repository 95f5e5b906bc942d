"""A local EventBridge: the template's Schedule rules firing their functions."""
