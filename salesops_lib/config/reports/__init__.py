"""Parameter models of the analysis reports, one module per report (registered in ``config.registry``)."""
