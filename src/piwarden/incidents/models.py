"""PI security incidents, drills and the evidence pack (docs/incidents.md)."""
