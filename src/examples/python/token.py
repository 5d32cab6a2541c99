#!/usr/bin/env python3
"""Mints an HS256 token for a Tidegate gateway in auth.mode jwt (standard library only).

  TIDEGATE_AUTH_JWT_SECRET=... python3 token.py alice --roles reader --minutes 60
  python3 token.py bob --claim '{"tidegate":{"publish":["orders.*"]}}' --issuer https://id.example --audience tidegate

In production your identity provider signs tokens (RS256/ES256, served as a JWKS); this is for trying it out.
"""
import argparse, base64, hashlib, hmac, json, os, sys, time


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("subject")
    a.add_argument("--roles", nargs="*", default=[], help="values of the roles claim, mapped by auth.roles")
    a.add_argument("--claim", default="{}", help="more claims as JSON, e.g. a tidegate permission object")
    a.add_argument("--minutes", type=int, default=60)
    a.add_argument("--issuer")
    a.add_argument("--audience")
    args = a.parse_args()
    secret = os.environ.get("TIDEGATE_AUTH_JWT_SECRET")
    if not secret or len(secret.encode()) < 32:
        sys.exit("set TIDEGATE_AUTH_JWT_SECRET to the gateway's secret (at least 32 bytes)")
    now = int(time.time())
    claims = {"sub": args.subject, "iat": now, "exp": now + 60 * args.minutes}
    if args.roles:
        claims["roles"] = args.roles
    if args.issuer:
        claims["iss"] = args.issuer
    if args.audience:
        claims["aud"] = args.audience
    claims.update(json.loads(args.claim))
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret.encode(), f"{head}.{body}".encode("ascii"), hashlib.sha256).digest()
    print(f"{head}.{body}.{b64(sig)}")


if __name__ == "__main__":
    main()
