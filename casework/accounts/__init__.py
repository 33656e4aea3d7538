"""Areas, agencies, users and their roles; sign-in for the pages and bearer tokens for the API."""
