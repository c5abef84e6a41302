"""The privacy policy as versioned data (docs/policy.md)."""
