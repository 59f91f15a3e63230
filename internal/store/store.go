// Package store keeps what must survive a restart of Warden in one SQLite
// database (pure Go, WAL mode): the bans with their history, which gives the
// ban counts of bantime.increment, and the read positions of the log files.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite" // also the "sqlite" database/sql driver
)

// busyTimeoutMS is how long a statement waits for a lock held by another
// process (an administrator's sqlite3 shell, say) before it fails.
const busyTimeoutMS = 5000

// Store is the ban store. Its methods are safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens the database at path, creating the file (mode 0600) and its
// schema when missing, and brings an older schema up to date. The directory
// must exist and be writable, since SQLite keeps path-wal and path-shm
// beside the file (with the file's mode): the caller creates it, with the
// mode it wants. An existing file keeps its mode. A file that is not an
// SQLite database, is one of another program, or has a newer schema gives an
// error naming the file.
func Open(path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// SQLite would create the file with 0644 less the umask; the WAL and
	// shared-memory files then take the database file's mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db, err := sql.Open("sqlite", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// One connection: writers never wait on each other's locks inside
	// the process, and a transaction never upgrades from a read lock.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, path: path}
	if err := s.init(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// dsn is the driver's name for the database at the absolute path abs: a
// file: URI, so that a path with '?' or '#' in it stays one path, with the
// pragmas every connection runs. The page size only takes effect in a new
// database, before init turns on WAL mode (which the file then keeps).
func dsn(abs string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	q.Add("_pragma", "page_size(16384)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "journal_size_limit(16777216)") // the WAL file shrinks back to 16 MiB
	q.Set("_txlock", "immediate")
	u := url.URL{Scheme: "file", Path: abs, RawQuery: q.Encode()}
	return u.String()
}

// init checks that the database is usable, turns on WAL mode and migrates
// the schema.
func (s *Store) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return notDatabase(err)
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not wal (does the file system support it?)", mode)
	}
	return migrate(ctx, s.db)
}

// notDatabase adds a plain explanation to SQLite's "file is not a
// database" (SQLITE_NOTADB); other errors (a lock held too long, an I/O
// error) are not blamed on the file.
func notDatabase(err error) error {
	const sqliteNotADB = 26
	if se := (*sqlite.Error)(nil); errors.As(err, &se) && se.Code()&0xff == sqliteNotADB {
		return fmt.Errorf("not a usable SQLite database (corrupt, or another kind of file): %w", err)
	}
	return fmt.Errorf("open database: %w", err)
}

// Close closes the database. The store must not be used afterwards.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}
