"""One module per language feature; each returns plain data with offsets (no pygls here)."""
