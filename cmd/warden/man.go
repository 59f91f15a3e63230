package main

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// jailConfMan is the configuration format's page, in md2man's Markdown.
//
//go:embed man/warden-jail.conf.5.md
var jailConfMan []byte

func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "Write the man pages into DIR",
		Long: `Write the man pages into DIR: one page in section 1 for each command
(warden.1, warden-regex.1, warden-config-check.1, ...) and the page of the
configuration format in section 5 (warden-jail.conf.5). Read one with
"man -l DIR/warden-regex.1", or install them under /usr/local/share/man.`,
		Example: "  warden man /usr/local/share/man/man1 && mv /usr/local/share/man/man1/*.5 /usr/local/share/man/man5/",
		Args:    argsBetween(1, 1, "DIR"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return writeManPages(cmd.Root(), args[0])
		},
	}
}

func writeManPages(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create man page directory: %w", err)
	}
	header := &doc.GenManHeader{Title: "WARDEN", Section: "1", Source: "Warden " + readBuildInfo().Version, Manual: "Warden Manual"}
	if err := doc.GenManTree(root, header, dir); err != nil {
		return fmt.Errorf("write man pages: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "warden-jail.conf.5"), md2man.Render(jailConfMan), 0o644); err != nil {
		return fmt.Errorf("write man page: %w", err)
	}
	return nil
}
