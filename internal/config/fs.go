package config

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// layer is one directory of configuration files.
type layer struct {
	fsys   fs.FS
	prefix string // how file names of this layer are shown: a directory or "builtin:"
}

// files is the configuration seen through its layers: the user's directory
// first, then Warden's embedded defaults. A file of the user's hides the
// embedded file of the same name; directory listings are the union.
type files struct {
	layers []layer
	root   string // the user's directory on disk, for paths that leave it
}

func newFiles(userDir string, builtin fs.FS) *files {
	f := &files{root: userDir}
	if userDir != "" {
		f.layers = append(f.layers, layer{fsys: os.DirFS(userDir), prefix: userDir})
	}
	if builtin != nil {
		f.layers = append(f.layers, layer{fsys: builtin, prefix: "builtin:"})
	}
	return f
}

// real returns the on-disk path for a reference that is absolute or leaves
// the configuration root, and whether it is one.
func (f *files) real(p string) (string, bool) {
	if filepath.IsAbs(p) {
		return p, true
	}
	c := path.Clean(p)
	if c == ".." || strings.HasPrefix(c, "../") {
		return filepath.Join(f.root, c), true
	}
	return "", false
}

func (f *files) display(l layer, p string) string {
	if l.prefix == "builtin:" {
		return "builtin:" + p
	}
	return filepath.Join(l.prefix, filepath.FromSlash(p))
}

// isFile reports whether the reference names a regular file in some layer.
func (f *files) isFile(p string) bool {
	if r, ok := f.real(p); ok {
		st, err := os.Stat(r)
		return err == nil && st.Mode().IsRegular()
	}
	c := path.Clean(p)
	for _, l := range f.layers {
		st, err := fs.Stat(l.fsys, c)
		if err == nil {
			return st.Mode().IsRegular()
		}
	}
	return false
}

// read returns a file's content and the name to show for it. A missing file
// returns an error matching fs.ErrNotExist.
func (f *files) read(p string) ([]byte, string, error) {
	if r, ok := f.real(p); ok {
		b, err := os.ReadFile(r)
		return b, r, err
	}
	c := path.Clean(p)
	for _, l := range f.layers {
		b, err := fs.ReadFile(l.fsys, c)
		if err == nil {
			return b, f.display(l, c), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, f.display(l, c), err
		}
	}
	return nil, p, fs.ErrNotExist
}

// glob lists dir/*suffix across layers, sorted, skipping hidden files as
// Python's glob does.
func (f *files) glob(dir, suffix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range f.layers {
		ents, err := fs.ReadDir(l.fsys, dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			n := e.Name()
			if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, suffix) {
				continue
			}
			p := path.Join(dir, n)
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}
