"""The WebPage custom resource: publishes the built static/web/ into the web bucket."""
