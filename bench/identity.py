"""What verifying a device identity header costs a proxy, per request.

    .venv/bin/python bench/identity.py            # 2,000 distinct identities, 10 passes

A device renews its identity every 10-15 minutes, so a proxy checks a given identity's
Ed25519 signature once ("first sight") and then finds it in its cache ("cached"; the expiry is
still checked at each use). Prints microseconds per request for both.
"""

from __future__ import annotations

import argparse
import time

from authlib.jose import JsonWebToken, OKPKey

from proxy_addons.identity import AUDIENCE, IdentityKeys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=10)
    args = parser.parse_args()
    key = OKPKey.generate_key("Ed25519", is_private=True)
    keys = IdentityKeys("http://admin.invalid")
    keys.apply({"keys": [{**key.as_dict(is_private=False), "kid": "k1"}]})
    jwt = JsonWebToken(["EdDSA"])
    expires = int(time.time()) + 900
    values = [
        jwt.encode(
            {"alg": "EdDSA", "kid": "k1"},
            {"aud": AUDIENCE, "sub": f"teacher{i}@usd999.org", "exp": expires},
            key,
        ).decode()
        for i in range(args.identities)
    ]
    start = time.perf_counter()
    assert all(keys.user_of(value) for value in values)
    first = (time.perf_counter() - start) / len(values)
    start = time.perf_counter()
    for _ in range(args.passes):
        for value in values:
            keys.user_of(value)
    cached = (time.perf_counter() - start) / (args.passes * len(values))
    print(f"identity header: first sight {first * 1e6:.0f} µs, cached {cached * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
