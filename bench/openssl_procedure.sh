#!/usr/bin/env bash
# The documented procedure, scripted as a user would: for each host, one after another, take the last
# certificate it presents (openssl s_client -showcerts) and hash it (openssl x509 -fingerprint -sha1).
# Reads "host port" lines on stdin; prints "host:port <fingerprint line>" for each.
set -u
while read -r host port; do
  fingerprint=$(openssl s_client -showcerts -servername "$host" -connect "$host:$port" </dev/null 2>/dev/null |
    awk '/-----BEGIN CERTIFICATE-----/ { cert = "" } { cert = cert $0 "\n" } /-----END CERTIFICATE-----/ { last = cert } END { printf "%s", last }' |
    openssl x509 -fingerprint -sha1 -noout 2>/dev/null)
  echo "$host:$port $fingerprint"
done
