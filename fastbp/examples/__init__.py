"""Runnable examples that ship with the package (``python -m fastbp.examples.NAME``)."""
