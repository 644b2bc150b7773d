"""Turning the workspace into doit task dicts, one module per stage."""
