package source

import "time"

// Line is one log line from a source.
type Line struct {
	Text   string    // decoded text, without its line end
	Source string    // the file's path, "journal", or "command:NAME"
	Time   time.Time // the journal's own timestamp; zero for files and commands
}

// Positions keeps where reading stopped in each file, with a fingerprint
// of the file's start, so that a restart neither replays nor misses lines.
type Positions interface {
	Position(path string) (pos int64, fingerprint string, ok bool, err error)
	SetPosition(path string, pos int64, fingerprint string) error
}
