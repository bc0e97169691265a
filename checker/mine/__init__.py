"""`wfcheck mine`: learn a workflow spec (control structure and candidate properties) from
recorded runs."""
