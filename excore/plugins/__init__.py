"""Optional pieces: ``path_manager`` (experiment folders), ``finegrained_config``."""
