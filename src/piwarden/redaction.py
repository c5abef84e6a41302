"""The marker stored where personal information was removed from a text (discovery's
screening, collection's minimisation); pages show it in the reader's words
(``catalog.labels.redactions``). A leaf module: importing it loads nothing else."""

REDACTED = "[REDACTED]"
