"""The workspace index (`.excore/index.json`) and the exported JSON Schemas."""
