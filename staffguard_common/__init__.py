"""Plumbing shared by the proxy and the admin site: HTTP calls, atomic writes, secret files.

A package of its own, beside the engine rather than in it: ``policy_lists`` decides policy and
does no network I/O, and neither consumer may import the other. Everything here is generic and
knows nothing of StaffGuard's documents, so any part (the engine included) may import it.
"""
