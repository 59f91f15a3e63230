package daemon

import (
	"fmt"
	"strings"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/logenc"
	"github.com/wardenipd/warden/internal/source"
)

// newSource builds a jail's log source from its backend, and returns the
// files it follows (for status).
func newSource(j *config.Jail, pos source.Positions, o Options) (lineSource, []string, error) {
	enc := "utf-8"
	if j.LogEncoding != "" && !strings.EqualFold(j.LogEncoding, "auto") {
		enc = j.LogEncoding
	}
	e, err := logenc.Lookup(enc)
	if err != nil {
		return nil, nil, fmt.Errorf("jail [%s]: logencoding: %w", j.Name, err)
	}
	backend := j.Backend
	if mode, ok := source.ParseMode(backend); ok {
		paths := make([]source.FilePath, len(j.LogPath))
		for i, p := range j.LogPath {
			paths[i] = source.FilePath{Pattern: p, Start: source.StartTail}
			if i < len(j.LogPathTail) && !j.LogPathTail[i] {
				// fail2ban reads a logpath from its head unless it says tail;
				// positions kept in the store avoid replays across restarts.
				paths[i].Start = source.StartHead
			}
		}
		f, err := source.NewFiles(source.FileConfig{Paths: paths, Encoding: e, Positions: pos, Clock: o.Clock, Mode: mode,
			Logger: o.Log.With("jail", j.Name)})
		if err != nil {
			return nil, nil, fmt.Errorf("jail [%s]: %w", j.Name, err)
		}
		return f, j.LogPath, nil
	}
	return nil, nil, fmt.Errorf("jail [%s]: backend %q is not supported yet", j.Name, backend)
}
