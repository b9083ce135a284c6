"""Runner: papermill/nbconvert/voila orchestration of the registered reports."""
