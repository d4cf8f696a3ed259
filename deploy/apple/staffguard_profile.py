#!/usr/bin/env python3
"""Write an Apple configuration profile (.mobileconfig) for district iPads and Macs: the proxy's
CA as a trusted root, and (for supervised devices) a global HTTP proxy from the PAC file.

    python3 deploy/apple/staffguard_profile.py \\
        --ca /var/lib/staffguard/mitmproxy/mitmproxy-ca-cert.cer \\
        --pac https://staffguard.usd999.org/proxy.pac > staffguard.mobileconfig

Upload the file to the MDM (Jamf, Mosyle, Intune, Apple School Manager's MDM...) and scope it
to staff devices. A root installed by MDM is trusted for TLS at once; the global proxy payload
is honoured only on supervised devices (docs/deploy.md, "iPads"). Standard library only.
"""

from __future__ import annotations

import argparse
import plistlib
import ssl
import sys
import uuid
from pathlib import Path
from typing import Any

NAMESPACE = uuid.UUID("6f1f5a8e-2f0c-4c8e-9d7a-5b0e0e6c1a11")  # stable ids: re-uploads replace


def payload(kind: str, name: str, organization: str, **content: Any) -> dict[str, Any]:
    ident = uuid.uuid5(NAMESPACE, f"{organization}/{kind}")
    return {
        "PayloadType": kind,
        "PayloadVersion": 1,
        "PayloadIdentifier": f"org.staffguard.{kind}.{ident}",
        "PayloadUUID": str(ident).upper(),
        "PayloadDisplayName": name,
        **content,
    }


def profile(ca: bytes, pac_url: str | None, organization: str) -> dict[str, Any]:
    der = ssl.PEM_cert_to_DER_cert(ca.decode()) if ca.lstrip().startswith(b"-----") else ca
    contents = [
        payload(
            "com.apple.security.root",
            "StaffGuard proxy CA",
            organization,
            PayloadCertificateFileName="staffguard-ca.cer",
            PayloadContent=der,
        )
    ]
    if pac_url:
        contents.append(
            payload(
                "com.apple.proxy.http.global",
                "StaffGuard proxy (PAC)",
                organization,
                ProxyType="Auto",
                ProxyPACURL=pac_url,
                ProxyPACFallbackAllowed=True,  # no PAC reachable: go direct (fail open)
                ProxyCaptiveLoginAllowed=True,  # hotel and bus Wi-Fi sign-in pages still work
            )
        )
    top = payload("Configuration", f"{organization}: StaffGuard", organization)
    top.update(
        PayloadContent=contents,
        PayloadOrganization=organization,
        PayloadDescription="Lets StaffGuard show the district's staff social-media policy "
        "(IIBGC) on the sites it names.",
        PayloadScope="System",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ca", required=True, type=Path, help="the proxy CA (.cer/.pem)")
    parser.add_argument("--pac", help="the PAC URL (omit for the CA alone)")
    parser.add_argument("--organization", default="School district")
    args = parser.parse_args(argv)
    document = profile(args.ca.read_bytes(), args.pac, args.organization)
    sys.stdout.buffer.write(plistlib.dumps(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
