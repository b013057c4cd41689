"""A throwaway plugin for plugformers' discovery tests (not a real architecture)."""
