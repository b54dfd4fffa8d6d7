#!/usr/bin/env bash
# Makes a local PostgreSQL available to the tests, from Debian's packages, when none is
# running: installs it (as root, when absent), starts the cluster, and creates the test
# role and database. Prints the URL to use as TEST_DATABASE_URL on its last line; prints
# nothing there (and says why) when it cannot, and the PostgreSQL tests skip with a notice.
set -uo pipefail

ROLE=ivr_deflect
DB=ivr_deflect_test
URL="postgres://${ROLE}:${ROLE}@127.0.0.1:5432/${DB}"

reachable() { PGPASSWORD=$ROLE psql -h 127.0.0.1 -U "$ROLE" -d "$DB" -Atc 'select 1' >/dev/null 2>&1; }

if reachable; then echo "$URL"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "PostgreSQL is not reachable at $URL and this is not root: the PostgreSQL tests will be skipped (with a notice)" >&2
  exit 0
fi
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || {
    echo "could not install postgresql: the PostgreSQL tests will be skipped (with a notice)" >&2
    exit 0
  }
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then pg_createcluster "$version" main >&2; fi
cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
# shellcheck disable=SC2086
pg_ctlcluster $cluster start >&2 2>/dev/null || true
for _ in $(seq 1 30); do su postgres -c "psql -Atc 'select 1'" >/dev/null 2>&1 && break; sleep 1; done
su postgres -c "psql -v ON_ERROR_STOP=1 -Atc \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN CREATE ROLE $ROLE LOGIN PASSWORD '$ROLE' CREATEDB; END IF; END \\\$\\\$\"" >&2
su postgres -c "psql -Atc \"SELECT 1 FROM pg_database WHERE datname = '$DB'\"" | grep -q 1 || su postgres -c "createdb -O $ROLE $DB" >&2
if reachable; then echo "$URL"; else echo "PostgreSQL did not come up: the PostgreSQL tests will be skipped (with a notice)" >&2; fi
