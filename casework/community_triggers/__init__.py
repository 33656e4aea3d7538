"""The Community Trigger (ASB Case Review): applications, threshold, decisions, reviews, appeals."""
