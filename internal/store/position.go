package store

import (
	"database/sql"
	"errors"
	"fmt"
)

// Position returns where reading of the file at path stopped and the
// fingerprint of the file's start then; false when none is recorded.
func (s *Store) Position(path string) (pos int64, fingerprint string, ok bool, err error) {
	err = s.db.QueryRow("SELECT pos, fingerprint FROM positions WHERE path = ?", path).Scan(&pos, &fingerprint)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, "", false, nil
	case err != nil:
		return 0, "", false, fmt.Errorf("read position of %s: %w", path, err)
	}
	return pos, fingerprint, true, nil
}

// SetPosition records where reading of the file at path stopped and the
// fingerprint of the file's start.
func (s *Store) SetPosition(path string, pos int64, fingerprint string) error {
	_, err := s.db.Exec(`INSERT INTO positions (path, pos, fingerprint) VALUES (?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET pos = excluded.pos, fingerprint = excluded.fingerprint`,
		path, pos, fingerprint)
	if err != nil {
		return fmt.Errorf("record position of %s: %w", path, err)
	}
	return nil
}
