"""Parameter models of the reports not yet moved into their analysis package (transitional)."""
