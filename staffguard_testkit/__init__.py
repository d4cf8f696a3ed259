"""What the tests and the benches share: the real parts of this machine (``machine``), a
throwaway TLS certificate (``tls``), and the admin site, platform pages and Chromium with the
unpacked extension (``extension``).

A package (installed with the others, editable) rather than files under ``tests/``, so
``bench/`` scripts import it like any module, without putting test directories on ``sys.path``.
The product never imports it. Pytest-only helpers (fail-on-CI skips, fixtures) stay in
``tests/``.
"""
