#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, user postgres, no password) and MariaDB
# (127.0.0.1:3306, root, empty password) answer, for the database tests. On a fresh Debian
# machine it installs them; on a machine where they run already it only checks.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} for the database tests" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

wait_for() { for _ in $(seq 60); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done; return 1; }

# PostgreSQL
pg_version=$(ls /etc/postgresql | sort -V | tail -n 1)
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || true
  wait_for pg_isready -h 127.0.0.1 -p 5432 -q
fi
if ! psql -h 127.0.0.1 -U postgres -qtAc 'select 1' >/dev/null 2>&1; then
  # A fresh install asks loopback clients for a password: the tests use trust on loopback.
  hba=/etc/postgresql/$pg_version/main/pg_hba.conf
  $SUDO sed -i -E 's/^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1\/32|::1\/128)[[:space:]]+)[a-z0-9-]+/\1trust/' "$hba"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
  wait_for psql -h 127.0.0.1 -U postgres -qtAc 'select 1'
fi

# The error tests log in as `dm_password_test` with a password (wrong on purpose): that one
# role gets password authentication on loopback, every other one keeps `trust`.
hba=$(psql -h 127.0.0.1 -U postgres -qtAc 'SHOW hba_file')
if ! $SUDO grep -q dm_password_test "$hba"; then
  $SUDO sed -i '0,/^\(local\|host\)[[:space:]]/s//host all dm_password_test 127.0.0.1\/32 scram-sha-256\n&/' "$hba"
  psql -h 127.0.0.1 -U postgres -qtAc 'SELECT pg_reload_conf()' >/dev/null
fi

# MariaDB
mariadb_ok() { mariadb -h 127.0.0.1 -P 3306 -uroot -e 'select 1'; }
if ! mariadb_ok >/dev/null 2>&1; then
  if ! mariadb-admin ping >/dev/null 2>&1; then
    $SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
    $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for mariadb-admin ping
  fi
  if ! mariadb_ok >/dev/null 2>&1; then
    # A fresh install lets root in only through the socket: allow an empty password on TCP.
    $SUDO mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;"
  fi
  wait_for mariadb_ok
fi
echo "PostgreSQL and MariaDB are ready" >&2
