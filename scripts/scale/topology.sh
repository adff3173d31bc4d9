#!/usr/bin/env bash
# The scale-out topology of issue 16 on one machine, built from PostgreSQL's and PgBouncer's own
# tools (Debian's packages): a streaming replica of the PostgreSQL on 127.0.0.1:5432, made with
# pg_basebackup -R, on port 5433; and PgBouncer in transaction pooling mode on port 6433 in front of
# the primary. Needs root (it runs both as the postgres user).
#
#   scripts/scale/topology.sh up     build and start both (idempotent: a running topology is rebuilt)
#   scripts/scale/topology.sh down   stop both and remove their files
#
# Ports and directory: SCALE_DIR (/tmp/acupoint-scale), REPLICA_PORT (5433), PGBOUNCER_PORT (6433).
set -euo pipefail
dir=${SCALE_DIR:-/tmp/acupoint-scale}
replica_port=${REPLICA_PORT:-5433}
bouncer_port=${PGBOUNCER_PORT:-6433}
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { su postgres -s /bin/bash -c "$*"; }

down() {
  if [ -f "$dir/replica/postmaster.pid" ]; then as_postgres "$pgbin/pg_ctl -D $dir/replica -m fast -w stop" >/dev/null 2>&1 || true; fi
  if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; sleep 0.5; fi
  rm -rf "$dir"
}

up() {
  down
  if ! command -v pgbouncer >/dev/null; then
    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends pgbouncer) >/dev/null
    # The package may start its own instance (on 6432); ours is separate.
  fi
  # pg_basebackup connects with the replication protocol, which "all" in pg_hba.conf does not cover.
  hba=$(psql -h 127.0.0.1 -U postgres -d postgres -tAc 'SHOW hba_file')
  if ! grep -qE '^host\s+replication\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    echo 'host replication all 127.0.0.1/32 trust' >> "$hba"
    psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'SELECT pg_reload_conf()' >/dev/null
  fi
  mkdir -p "$dir"
  chown postgres: "$dir"

  # The replica: a base backup that writes standby.signal and primary_conninfo (-R), streaming WAL.
  as_postgres "$pgbin/pg_basebackup -h 127.0.0.1 -p 5432 -U postgres -D $dir/replica -R -X stream -c fast"
  # Debian keeps the primary's configuration in /etc, so the copy has none of its own.
  cat > "$dir/replica/postgresql.conf" <<CONF
port = $replica_port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
max_connections = 100
hot_standby_feedback = on
CONF
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$dir/replica/pg_hba.conf"
  chown postgres: "$dir/replica/postgresql.conf" "$dir/replica/pg_hba.conf"
  as_postgres "$pgbin/pg_ctl -D $dir/replica -l $dir/replica.log -w start" >/dev/null
  as_postgres "psql -h 127.0.0.1 -p $replica_port -U postgres -d postgres -tAc 'SELECT pg_is_in_recovery()'" | grep -q t \
    || { echo "the replica on port $replica_port is not in recovery"; exit 1; }

  # PgBouncer, transaction pooling. statement_timeout is a startup parameter node-postgres sends:
  # PgBouncer must be told to ignore it (set it on the role instead: see README.md).
  printf '"postgres" ""\n' > "$dir/userlist.txt"
  cat > "$dir/pgbouncer.ini" <<CONF
[databases]
* = host=127.0.0.1 port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir = $dir
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 20
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits,statement_timeout
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
CONF
  chown postgres: "$dir/userlist.txt" "$dir/pgbouncer.ini"
  as_postgres "pgbouncer -d $dir/pgbouncer.ini"
  for _ in $(seq 1 50); do psql -h 127.0.0.1 -p "$bouncer_port" -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.1; done
  psql -h 127.0.0.1 -p "$bouncer_port" -U postgres -d postgres -tAc 'SELECT 1' >/dev/null || { tail -n 20 "$dir/pgbouncer.log"; exit 1; }
  echo "replica on 127.0.0.1:$replica_port, PgBouncer (transaction pooling) on 127.0.0.1:$bouncer_port"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  # The replica alone, for the check that stops and restarts it.
  stop-replica) as_postgres "$pgbin/pg_ctl -D $dir/replica -m fast -w stop" >/dev/null ;;
  start-replica) as_postgres "$pgbin/pg_ctl -D $dir/replica -l $dir/replica.log -w start" >/dev/null ;;
  *) echo "usage: $0 up|down|stop-replica|start-replica" >&2; exit 2 ;;
esac
