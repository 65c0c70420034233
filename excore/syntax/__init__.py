"""The syntax layer: tolerant TOML parsing with offsets and the ExCore key/reference grammar.

Nothing here knows about registries, Python objects or the language server protocol.
"""
