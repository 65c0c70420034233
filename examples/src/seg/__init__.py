"""A small semantic segmentation project used as ExCore's example workspace.

Importing ``seg`` alone imports nothing heavy; the workspace file lists the modules whose import
fills the registries of :mod:`seg.registries`.
"""
