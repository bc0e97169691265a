"""Reading recorded agent trajectories into one normalized shape (see events.py)."""
from .events import Event, Handoff, Location, Message, ReadProblem, ToolCall, Trace
from .reader import FORMATS, detect, read_file, read_traces

__all__ = ["Event", "FORMATS", "Handoff", "Location", "Message", "ReadProblem", "ToolCall",
           "Trace", "detect", "read_file", "read_traces"]
