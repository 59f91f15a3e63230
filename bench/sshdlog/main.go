// Command sshdlog writes the log bench/regex.sh times (f2btest.SSHDLog) to
// standard output.
//
// Usage: go run ./bench/sshdlog PACKAGE_ROOT LINES
package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/wardenipd/warden/internal/f2btest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "sshdlog: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: sshdlog PACKAGE_ROOT LINES")
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 0 {
		return fmt.Errorf("LINES %q: not a count", args[1])
	}
	lines, err := f2btest.SSHDLog(args[0], n)
	if err != nil {
		return fmt.Errorf("build the log: %w", err)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, l := range lines {
		w.WriteString(l)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write the log: %w", err)
	}
	return nil
}
