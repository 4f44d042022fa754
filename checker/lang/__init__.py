"""The rule language: the operators table, sandboxed Jinja expressions and value parsing
(durations, versions, times). Below both the rule loader (which validates against it) and the
evaluator (which runs it)."""
