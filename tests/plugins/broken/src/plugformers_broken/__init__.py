"""Deliberately broken plugins for plugformers' isolation tests."""
