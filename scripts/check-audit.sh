#!/usr/bin/env bash
# Checks a datamask audit directory WITHOUT datamask, with standard tools only:
# python3 (standard library), OpenSSL >= 3.0 (Ed25519) and b3sum (BLAKE3).
#
#   ./scripts/check-audit.sh [DIR] [EXPECTED_PUBLIC_KEY_HEX]
#
# For every manifest NNNNNN-*.json, in order: the numbers run 1, 2, 3... without a gap; the
# file is byte for byte the canonical form datamask writes (sorted keys, two-space indent,
# one trailing newline); the Ed25519 signature over the compact canonical body verifies; the
# body's previous_manifest_hash is the BLAKE3 of the previous file (null for the first); and,
# if given, the signing key is the expected one. Exits 1 naming the first manifest that fails.
# See docs/security.md.
set -euo pipefail
dir=${1:-.datamask/runs}
expected_key=${2:-}
for tool in python3 openssl b3sum; do
  command -v "$tool" >/dev/null || { echo "check-audit: $tool is needed" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL $(basename "$1"): $2" >&2; exit 1; }

previous=null
n=0
shopt -s nullglob
for file in "$dir"/[0-9]*.json; do
  n=$((n + 1))
  # Splits the manifest into the signed body (compact canonical JSON), the signature and the
  # public key (as DER), and checks the file is in canonical form.
  read -r seq prev_hash public_key canonical < <(python3 - "$file" "$tmp" <<'PY'
import json, sys
path, tmp = sys.argv[1], sys.argv[2]
raw = open(path, "rb").read()
doc = json.loads(raw)
pretty = json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
sig = doc.pop("signature")
body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
open(tmp + "/body", "wb").write(body.encode())
open(tmp + "/sig", "wb").write(bytes.fromhex(sig["value"]))
open(tmp + "/pub.der", "wb").write(bytes.fromhex("302a300506032b6570032100" + sig["public_key"]))
ok = sig.get("algorithm") == "ed25519" and len(sig) == 3 and pretty.encode() == raw
print(doc.get("seq"), doc.get("previous_manifest_hash") or "null", sig["public_key"], "yes" if ok else "no")
PY
  )
  [ "$seq" = "$n" ] || fail "$file" "expected manifest number $n, found $seq (removed or renamed)"
  [ "$canonical" = yes ] || fail "$file" "not in the canonical form datamask writes (edited)"
  openssl pkeyutl -verify -pubin -keyform DER -inkey "$tmp/pub.der" -rawin \
    -in "$tmp/body" -sigfile "$tmp/sig" >/dev/null 2>&1 \
    || fail "$file" "the Ed25519 signature does not match the content (edited)"
  [ "$prev_hash" = "$previous" ] \
    || fail "$file" "previous_manifest_hash does not match the manifest before it (edited, removed or reordered)"
  if [ -n "$expected_key" ] && [ "$public_key" != "$expected_key" ]; then
    fail "$file" "signed by $public_key, not by the expected key"
  fi
  previous=$(b3sum --no-names "$file")
  echo "ok   $(basename "$file")  signed by ${public_key:0:16}…"
done
[ "$n" -gt 0 ] || { echo "check-audit: no manifests in $dir" >&2; exit 1; }
echo "ok: $n manifest(s), chain intact"
