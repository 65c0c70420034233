"""Plain-Python analysis of ExCore configs for the language server (no pygls here)."""
