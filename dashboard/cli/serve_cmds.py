"""Commands of this group are added by their feature (see docs/architecture.md)."""
