"""What the tests and the benches share: the real parts of this machine (``machine``), a
throwaway TLS certificate (``tls``), the platforms' servers that note every request they
receive (``upstream``), the admin site and Chromium with the unpacked extension
(``extension``), free ports and waiting on what happens (``net``: one
``free_port``, ``wait_for_port``, ``until``), a browser's request headers (``headers``:
``NAVIGATE``) and events as the API takes them (``events``).

A package (installed with the others, editable) rather than files under ``tests/``, so
``bench/`` scripts import it like any module, without putting test directories on ``sys.path``.
The product never imports it. Pytest-only helpers (fail-on-CI skips, fixtures) stay in
``tests/``.
"""
