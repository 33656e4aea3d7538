"""Risk assessments: a configurable, versioned questionnaire giving standard, medium or high risk."""
