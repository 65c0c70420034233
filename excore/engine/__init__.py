"""Engine pieces importable under upstream ExCore's paths (``excore.engine.hook``)."""
