package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are the steps of the schema, in order: a database at version n
// has run the first n. Append new steps (the AbuseIPDB outbox, say); never
// edit one that has shipped.
//
// Times are Unix nanoseconds. A ban's stop is its natural end, the largest
// integer for a permanent ban; ended is 1 once RemoveBan or a newer ban of the
// same jail and address ended it early. A jail and address have at most one
// row with ended = 0 (bans_open).
var migrations = []string{
	`CREATE TABLE bans (
		id       INTEGER PRIMARY KEY,
		jail     TEXT    NOT NULL,
		ip       TEXT    NOT NULL,
		start    INTEGER NOT NULL,
		bantime  INTEGER NOT NULL,
		stop     INTEGER NOT NULL,
		ended    INTEGER NOT NULL DEFAULT 0,
		count    INTEGER NOT NULL,
		failures INTEGER NOT NULL,
		matches  TEXT
	);
	CREATE INDEX bans_ip_jail_start ON bans(ip, jail, start);
	CREATE UNIQUE INDEX bans_open ON bans(ip, jail) WHERE ended = 0;
	CREATE TABLE positions (
		path        TEXT    NOT NULL PRIMARY KEY,
		pos         INTEGER NOT NULL,
		fingerprint TEXT    NOT NULL
	) WITHOUT ROWID;`,
	// The AbuseIPDB outbox (outbox.go): one row per report, kept after it
	// ends (state > 0) for the statistics; an address's last report time
	// (across jails and restarts), which a report marked sent updates
	// (trigger abuse_outbox_sent); and the quota of each endpoint.
	`CREATE TABLE abuse_outbox (
		id         INTEGER PRIMARY KEY,
		ip         TEXT    NOT NULL,
		jail       TEXT    NOT NULL,
		categories TEXT    NOT NULL,
		comment    TEXT    NOT NULL,
		attack     INTEGER NOT NULL,
		enqueued   INTEGER NOT NULL,
		next_try   INTEGER NOT NULL,
		tries      INTEGER NOT NULL DEFAULT 0,
		state      INTEGER NOT NULL DEFAULT 0,
		reason     TEXT    NOT NULL DEFAULT '',
		done       INTEGER NOT NULL DEFAULT 0
	);
	CREATE UNIQUE INDEX abuse_outbox_ban ON abuse_outbox(ip, jail, attack);
	CREATE INDEX abuse_outbox_due ON abuse_outbox(next_try, id) WHERE state = 0;
	CREATE INDEX abuse_outbox_state ON abuse_outbox(state);
	CREATE TABLE abuse_reported (
		ip      TEXT    NOT NULL PRIMARY KEY,
		last    INTEGER NOT NULL,
		reports INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TRIGGER abuse_outbox_sent AFTER UPDATE OF state ON abuse_outbox
		WHEN NEW.state = 1 AND OLD.state = 0
	BEGIN
		INSERT INTO abuse_reported (ip, last, reports) VALUES (NEW.ip, NEW.done, 1)
			ON CONFLICT (ip) DO UPDATE SET last = max(last, excluded.last), reports = reports + 1;
	END;
	CREATE TABLE abuse_quota (
		endpoint  TEXT    NOT NULL PRIMARY KEY,
		lim       INTEGER NOT NULL,
		remaining INTEGER NOT NULL,
		reset     INTEGER NOT NULL
	) WITHOUT ROWID;`,
}

// migrate brings the schema of db up to date in one transaction. It refuses a
// database written by a newer Warden and an SQLite database of another
// program.
func migrate(ctx context.Context, db *sql.DB) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return notDatabase(err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	version, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this Warden's %d", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", i+1, err)
		}
	}
	if version < len(migrations) {
		if _, err := tx.ExecContext(ctx, "UPDATE schema_version SET version = ?", len(migrations)); err != nil {
			return fmt.Errorf("record schema version: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate schema: %w", err)
	}
	return nil
}

// schemaVersion returns the schema version recorded in the database, creating
// the schema_version table (at version 0) in an empty database.
func schemaVersion(ctx context.Context, tx *sql.Tx) (int, error) {
	var objects, tables int
	err := tx.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE name = 'schema_version')
		FROM sqlite_schema`).Scan(&objects, &tables)
	if err != nil {
		return 0, notDatabase(err)
	}
	if tables > 0 {
		var version int
		if err := tx.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&version); err != nil {
			return 0, fmt.Errorf("read schema version: %w", err)
		}
		return version, nil
	}
	if objects > 0 {
		return 0, errors.New("an SQLite database of another program (no schema_version table)")
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE schema_version (version INTEGER NOT NULL);
		INSERT INTO schema_version VALUES (0);`); err != nil {
		return 0, fmt.Errorf("create schema_version: %w", err)
	}
	return 0, nil
}
