"""The audit trail across the apps: the policy's history beside QA's overrides and uploads.

It sits above ``policy`` and ``scoring`` and may read both; neither of them imports it."""
