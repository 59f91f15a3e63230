// Package atstart advises the heap for huge pages while the program's
// packages are still being initialised, for `warden regex`: package main
// imports it for that side effect alone.
//
// hugeheap.Advise, called when warden regex starts, collapses the heap
// in use into huge pages, and the heap's later pages then fault once per
// 2 MB. By then the packages' initialisation (the SQLite library's, the
// HTTP and text packages', the log encodings' tables) has touched its
// pages of the heap one fault at a time. Go initialises a package once
// the packages it imports are; this one imports little (not even
// path/filepath), so it runs before most of the heavy ones (75th of
// warden's 134, before the SQLite library, nftables, net/http and the
// x/text packages): advised then, their allocations land in huge pages.
// warden regex on an empty log: a median of 539 page faults instead of
// 597 (bench/faults.sh 30 at its commit and the one before); on
// bench/regex.sh's log, 1 to 3% less time
// (bench/alternate.sh 8007c0e 90a73cb 30, two runs). Other commands, the
// daemon first, keep the kernel's default (see hugeheap).
package atstart

import (
	"os"
	"strings"

	"github.com/wardenipd/warden/internal/hugeheap"
)

func init() {
	if Wanted(os.Args) {
		hugeheap.Advise(nil)
	}
}

// Wanted reports whether the command line args (os.Args: the program,
// then its arguments) runs warden regex: "warden regex ...", or the
// program invoked through a link named fail2ban-regex (not through one
// named fail2ban-client, whose commands are the daemon's). A command line
// with options before the command is not recognised; its run only
// misses the early advice, as warden regex advises the heap again when
// it starts.
func Wanted(args []string) bool {
	if len(args) == 0 {
		return false
	}
	// the program's name, as filepath.Base has it: this package
	// imports as little as it can, so that it is initialised early
	name := strings.TrimRight(args[0], "/")
	switch name[strings.LastIndexByte(name, '/')+1:] {
	case "fail2ban-regex":
		return true
	case "fail2ban-client":
		return false
	}
	return len(args) > 1 && args[1] == "regex"
}
