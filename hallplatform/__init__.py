"""The platform layer: accounts and roles, host access, audit, working-day calendar, deadlines,
health, metrics, API plumbing, personal-data handling, embedded services and the dev tool."""
