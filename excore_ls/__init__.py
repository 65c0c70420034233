"""excore-ls: the ExCore language server (pygls 2).

Only this package imports ``pygls``/``lsprotocol``. ``analysis`` is plain Python over the engine's
syntax layer, checker and the workspace index; ``features`` computes one LSP feature each as plain
data; ``convert`` turns that data into protocol types; ``server`` routes LSP methods.
"""

from excore import __version__

__all__ = ["__version__"]
