"""Ready hierarchies (placeholder, filled in below)."""
