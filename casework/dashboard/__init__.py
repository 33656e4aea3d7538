"""The home page: one panel per role the user holds. Each domain contributes its panels."""
