package main

import (
	"bytes"
	"flag"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra/doc"
)

var updateMan = flag.Bool("update-man", false, "rewrite the rendered man pages in man/")

// renderManPages renders the man pages the way writeManPages writes them,
// with manVersion and manDate in place of the version and the date:
// one page per command from the command tree (cobra/doc), and the
// configuration format's page from its Markdown (go-md2man).
func renderManPages(t *testing.T) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	root := newRootCmd(settings{configDir: defaultConfigDir, socket: defaultSocket}, strings.NewReader(""), io.Discard, io.Discard)
	date := manDate
	header := &doc.GenManHeader{Title: "WARDEN", Section: "1", Date: &date, Source: "Warden " + manVersion, Manual: "Warden Manual"}
	if err := doc.GenManTree(root, header, dir); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join("man", "warden-jail.conf.5.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string][]byte{"warden-jail.conf.5": md2man.Render(md)}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		pages[e.Name()] = b
	}
	return pages
}

// TestManPages checks that the pages writeManPages writes are those the
// command tree and man/warden-jail.conf.5.md render to now; -update-man
// rewrites them.
func TestManPages(t *testing.T) {
	want := renderManPages(t)
	if *updateMan {
		old, _ := filepath.Glob(filepath.Join("man", "*.[15]"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
		for name, b := range want {
			if err := os.WriteFile(filepath.Join("man", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	entries, err := fs.ReadDir(manPages, "man")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
		got, err := fs.ReadFile(manPages, path.Join("man", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[e.Name()]; !ok {
			t.Errorf("man/%s: no such page any more (go test ./cmd/warden -run TestManPages -update-man)", e.Name())
		} else if !bytes.Equal(got, w) {
			t.Errorf("man/%s is stale (go test ./cmd/warden -run TestManPages -update-man)", e.Name())
		}
	}
	for name := range want {
		if !slices.Contains(have, name) {
			t.Errorf("man/%s is missing (go test ./cmd/warden -run TestManPages -update-man)", name)
		}
	}
}

// TestWriteManPagesFillsIn checks that writeManPages writes what cobra/doc
// writes for the version and date it is given.
func TestWriteManPagesFillsIn(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1764633600") // 2 Dec 2025
	dir := t.TempDir()
	if err := writeManPages(dir); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(t.TempDir(), "want")
	root := newRootCmd(settings{configDir: defaultConfigDir, socket: defaultSocket}, strings.NewReader(""), io.Discard, io.Discard)
	header := &doc.GenManHeader{Title: "WARDEN", Section: "1", Source: "Warden " + readBuildInfo().Version, Manual: "Warden Manual"}
	if err := os.MkdirAll(want, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := doc.GenManTree(root, header, want); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		w, err := os.ReadFile(filepath.Join(want, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, w) {
			t.Errorf("%s differs from cobra/doc's:\n%s", e.Name(), got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "warden-jail.conf.5")); err != nil {
		t.Error(err)
	}
}
