"""Pages that compose several apps, in the project layer above all of them: the support search, the
insight dashboard and the bookkeeping report. Each reads what every app offers (its selectors and
reports) and nothing else; no app imports this package."""
