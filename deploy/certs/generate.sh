#!/usr/bin/env bash
# The datastores' secrets for docker-compose.yml, made once on the host and never committed
# (README, "Keys and secrets"):
#
#   sudo deploy/certs/generate.sh [DIR]        # DIR: ./secrets (compose's HDND_SECRETS_DIR)
#
#   DIR/mongodb/keyfile           the replica set members' shared secret
#   DIR/mongodb/<user>            a password each: admin, operator, meetings, oversight,
#                                 reporting, hierarchy (deploy/mongo_users.py says who may what)
#   DIR/kafka/ca.pem, ca.key      the CA the brokers' certificates are signed by; move ca.key
#                                 off the host once every certificate is made
#   DIR/kafka/<name>.p12          PKCS#12 keystores: kafka1-3 (the brokers, for their names
#                                 and localhost) and admin (kafka-init's client certificate)
#   DIR/kafka/keystore-password   their password
#   DIR/kafka/<user>              a SCRAM password each: meetings, oversight, reporting,
#                                 hierarchy, operator
#   DIR/oidc/client-secret        hdnd's secret as Keycloak's client (single sign-on)
#   DIR/oidc/keycloak-bootstrap   Keycloak's first admin's password
#   DIR/oidc/keycloak-sample      the sample person's first password (changed at sign-in)
#
# What exists is kept, so running it again only adds what is missing: to rotate one, delete
# its file(s) and run it again (README says what to restart). Files are 0640 and, when run as
# root, of group 10001: the services' user, which compose also gives Kafka's containers.
set -euo pipefail

out=${1:-./secrets}
umask 027
mkdir -p "$out/mongodb" "$out/kafka" "$out/oidc"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

secret() { [ -s "$1" ] || openssl rand -hex 24 > "$1"; }

for user in admin operator meetings oversight reporting hierarchy; do
  secret "$out/mongodb/$user"
done
[ -s "$out/mongodb/keyfile" ] || openssl rand -base64 756 | tr -d '\n' > "$out/mongodb/keyfile"
for user in meetings oversight reporting hierarchy operator; do
  secret "$out/kafka/$user"
done
secret "$out/kafka/keystore-password"
for name in client-secret keycloak-bootstrap keycloak-sample; do
  secret "$out/oidc/$name"
done

ca="$out/kafka/ca.pem"
if [ ! -s "$ca" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=hdnd Kafka CA" -keyout "$out/kafka/ca.key" -out "$ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    2> /dev/null
fi

# A broker's certificate serves its listeners and signs it in to the other brokers (mTLS on the
# controller and inter-broker listeners), so it is both server and client; its CN is its
# principal (ssl.principal.mapping.rules), which compose lists among the super users.
for name in kafka1 kafka2 kafka3 admin; do
  [ -s "$out/kafka/$name.p12" ] && continue
  case $name in
    admin) names="" ;;
    *) names="subjectAltName=DNS:$name,DNS:localhost" ;;
  esac
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" $names > "$work/$name.ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$work/$name.key" -out "$work/$name.csr" 2> /dev/null
  openssl x509 -req -in "$work/$name.csr" -CA "$ca" -CAkey "$out/kafka/ca.key" \
    -CAcreateserial -CAserial "$work/ca.srl" -days 825 -extfile "$work/$name.ext" \
    -out "$work/$name.crt" 2> /dev/null
  openssl pkcs12 -export -name "$name" -in "$work/$name.crt" -inkey "$work/$name.key" \
    -certfile "$ca" -passout "file:$out/kafka/keystore-password" -out "$out/kafka/$name.p12"
done

chmod 0640 "$out"/mongodb/* "$out"/kafka/* "$out"/oidc/*
chmod 0600 "$out/kafka/ca.key"
if [ "$(id -u)" = 0 ]; then
  chgrp -R 10001 "$out"
  chmod 0750 "$out" "$out/mongodb" "$out/kafka" "$out/oidc"
else
  echo "not root: give group 10001 read access to $out yourself (chgrp -R 10001 $out)" >&2
fi
echo "secrets in $out"
