package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// version can be set at build time with -ldflags "-X main.version=...";
// otherwise it comes from the module's build information.
var version = ""

// buildInfo describes this build: the module version and, when the binary
// was built from a checkout with VCS stamping (go build's default,
// -buildvcs), the revision.
type buildInfo struct {
	Version, Revision, Time, Go string
	Modified                    bool
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if b.Version == "" {
			b.Version = "unknown"
		}
		return b
	}
	b.Go = bi.GoVersion
	if b.Version == "" {
		b.Version = bi.Main.Version
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "devel"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// versionLine is the one line `warden version` and `warden --version` print.
func versionLine() string {
	b := readBuildInfo()
	var parts []string
	if b.Revision != "" {
		rev := b.Revision
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if b.Modified {
			rev += "+modified"
		}
		parts = append(parts, "revision "+rev)
		if b.Time != "" {
			parts = append(parts, b.Time)
		}
	} else {
		parts = append(parts, "revision unknown")
	}
	if b.Go != "" {
		parts = append(parts, b.Go)
	}
	parts = append(parts, "fail2ban "+compatVersion+" configuration")
	return fmt.Sprintf("warden %s (%s)", b.Version, strings.Join(parts, ", "))
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, the VCS revision and the Go version of this build",
		Long: `Print the version of this build: the module version, the VCS revision it
was built from (with "+modified" when the work tree had changes), the commit
time, the Go version, and the fail2ban version whose configuration dialect
Warden follows. The revision is known when the binary was built from a git
checkout with VCS stamping on (go build -buildvcs=true).`,
		Args: argsBetween(0, 0, ""),
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionLine())
			return err
		},
	}
}
