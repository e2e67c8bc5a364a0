"""Small helpers shared by the apps and their commands. Not a Django app: no models,
and it imports nothing of policy, scoring or audit, so any of them may use it."""
