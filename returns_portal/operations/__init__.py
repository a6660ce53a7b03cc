"""Operators' commands that span every app, in the project layer above all of them: today
`run_periodic`, which runs each app's periodic jobs once (what Celery beat does on a schedule)."""
