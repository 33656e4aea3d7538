"""Cross-cutting, domain-agnostic building blocks (see DEVELOPMENT.md)."""
