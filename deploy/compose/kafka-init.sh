#!/usr/bin/env bash
# One-shot for docker-compose.yml (the `kafka-init` service), run again at every `up`: it signs
# in as the admin with its client certificate on the brokers' SSL listener and sets
#
#   - a SCRAM-SHA-512 credential per principal, from its password file (so changing a file and
#     running this again rotates it);
#   - the topics, three replicas each with min.insync.replicas 2 (the services publish with
#     acks=all: a write is acknowledged once two brokers hold it);
#   - the ACLs: a principal may do what its code does and nothing else (the brokers refuse
#     whatever no ACL allows). What each service produces and consumes:
#       meetings   writes hdnd.meetings;  reads hdnd.hierarchy (its units)
#       oversight  writes hdnd.oversight; reads hdnd.meetings (intake), hdnd.hierarchy and
#                  hdnd.reporting (the answers given to groups of opinions)
#       reporting  writes hdnd.reporting and hdnd.identity (its token issuer's accounts and
#                  sign-ins); reads every fact topic, hdnd.hierarchy, hdnd.identity (the
#                  activity log) and hdnd.audit (the daily roots of the levels below)
#       each of the three writes hdnd.audit (its daily signed roots) and hdnd.deadletter
#       (what its consumers refuse), and may join
#       consumer groups named <itself>.… (HDND_CONSUMER_GROUP=<itself>)
#       hierarchy  the registry: writes hdnd.hierarchy
#       operator   backups, restores, rebuilds, dead letters (a re-drive writes a letter back
#                  to its topic): reads and writes every hdnd topic
#     and every principal may describe the hdnd topics (which exist, their partitions).
# Exits non-zero on any failure, so the services (service_completed_successfully) wait.
set -euo pipefail

bin=/opt/kafka/bin
secrets=/run/secrets/kafka
bootstrap=${KAFKA_ADMIN_BOOTSTRAP:-kafka1:9092}
partitions=${HDND_TOPIC_PARTITIONS:-6}
topic=${HDND_TOPIC_PREFIX:-}hdnd
services=(meetings oversight reporting)
principals=("${services[@]}" hierarchy operator)

config=$(mktemp)
trap 'rm -f "$config"' EXIT
password=$(cat "$secrets/keystore-password")
cat > "$config" <<PROPERTIES
security.protocol=SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=$secrets/admin.p12
ssl.keystore.password=$password
ssl.key.password=$password
ssl.truststore.type=PEM
ssl.truststore.location=$secrets/ca.pem
PROPERTIES
admin=(--bootstrap-server "$bootstrap" --command-config "$config")

for _ in $(seq 60); do  # the brokers answer once their quorum has a leader
  "$bin/kafka-broker-api-versions.sh" "${admin[@]}" > /dev/null 2>&1 && break
  sleep 2
done

for user in "${principals[@]}"; do
  "$bin/kafka-configs.sh" "${admin[@]}" --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$(cat "$secrets/$user")]"
done

for context in meetings oversight reporting hierarchy identity audit deadletter; do
  "$bin/kafka-topics.sh" "${admin[@]}" --create --if-not-exists --topic "$topic.$context" \
    --partitions "$partitions" --replication-factor 3 --config min.insync.replicas=2
done

allow() {  # allow PRINCIPAL ACL-OPTIONS…
  local user=$1
  shift
  "$bin/kafka-acls.sh" "${admin[@]}" --add --allow-principal "User:$user" "$@" > /dev/null
}
for user in "${principals[@]}"; do
  allow "$user" --operation Describe --topic "$topic." --resource-pattern-type prefixed
done
allow meetings --operation Write --topic "$topic.meetings"
allow meetings --operation Read --topic "$topic.hierarchy"
allow oversight --operation Write --topic "$topic.oversight"
allow oversight --operation Read --topic "$topic.meetings" --topic "$topic.hierarchy" \
  --topic "$topic.reporting"
allow reporting --operation Write --topic "$topic.reporting" --topic "$topic.identity"
allow reporting --operation Read --topic "$topic.meetings" --topic "$topic.oversight" \
  --topic "$topic.reporting" --topic "$topic.hierarchy" --topic "$topic.identity" \
  --topic "$topic.audit"
for user in "${services[@]}"; do
  allow "$user" --operation Write --topic "$topic.deadletter" --topic "$topic.audit"
  allow "$user" --operation Read --group "$user." --resource-pattern-type prefixed
done
allow hierarchy --operation Write --topic "$topic.hierarchy"
allow operator --operation Read --operation Write --topic "$topic." --resource-pattern-type prefixed

echo "kafka-init: principals ${principals[*]}; topics $topic.* (3 replicas, min ISR 2); ACLs set"
