"""Builders of small monorepos in temporary directories, one module per ecosystem."""
