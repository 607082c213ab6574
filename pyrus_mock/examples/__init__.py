"""Example bots shipped with pyrus-mock; ``pyrus-mock demo`` runs :class:`ExampleBot`."""

from .bot import ExampleBot as ExampleBot

__all__ = ["ExampleBot"]
