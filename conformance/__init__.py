"""The RealDex conformance suite: the specification in ``realdex_spec`` as pytest tests.

Run it against any implementation with ``pytest conformance --impl=PKG`` from a checkout, or
``pytest --pyargs realdex_conformance --impl=PKG`` from an installed copy. The plugin that wires the
adapter, the clause markers and the reports is ``realdex_conformance.plugin`` (a ``pytest11`` entry
point). Nothing here imports the reference implementation.
"""
__version__ = "0.2.0"
