"""Correct adapters of the kit's own tests (the broken ones are in ``tests/broken``)."""
