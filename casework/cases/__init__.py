"""ASB casework: people, cases, the incident and complaint ledger, risk, actions, interventions."""
