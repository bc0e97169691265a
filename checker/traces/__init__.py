"""Reading recorded agent trajectories into one normalized shape (see events.py)."""
