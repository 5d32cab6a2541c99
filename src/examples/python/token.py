#!/usr/bin/env python3
"""Mints a token for a Tidegate gateway in auth.mode jwt (standard library only, plus openssl for RS256).

  TIDEGATE_AUTH_JWT_SECRET=... python3 token.py alice --roles reader --minutes 60
  python3 token.py bob --claim '{"tidegate":{"publish":["orders.*"]}}' --issuer https://id.example --audience tidegate

  # RS256 with a key pair of your own; the gateway gets the public half (auth.jwt.publicKeys)
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out idp.key
  openssl pkey -in idp.key -pubout -out idp.pem
  python3 token.py carol --roles reader --rsa-key idp.key --kid idp-1

In production your identity provider signs tokens (RS256/ES256, served as a JWKS); this is for trying it out.
"""
import argparse, base64, hashlib, hmac, json, os, subprocess, sys, time


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
    a.add_argument("--rsa-key", help="sign with RS256 using this PEM private key (through openssl) instead of HS256")
    a.add_argument("--kid", help="the key id to name in the token's header (JWKS)")
    args = a.parse_args()
    secret = os.environ.get("TIDEGATE_AUTH_JWT_SECRET")
    if not args.rsa_key and (not secret or len(secret.encode()) < 32):
        sys.exit("set TIDEGATE_AUTH_JWT_SECRET to the gateway's secret (at least 32 bytes), or give --rsa-key")
    now = int(time.time())
    claims = {"sub": args.subject, "iat": now, "exp": now + 60 * args.minutes}
    if args.roles:
        claims["roles"] = args.roles
    if args.issuer:
        claims["iss"] = args.issuer
    if args.audience:
        claims["aud"] = args.audience
    claims.update(json.loads(args.claim))
    header = {"alg": "RS256" if args.rsa_key else "HS256", "typ": "JWT"}
    if args.kid:
        header["kid"] = args.kid
    head = b64(json.dumps(header, separators=(",", ":")).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    signed = f"{head}.{body}".encode("ascii")
    if args.rsa_key:
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", args.rsa_key], input=signed,
                             capture_output=True, check=True).stdout
    else:
        sig = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    print(f"{head}.{body}.{b64(sig)}")


if __name__ == "__main__":
    main()
