// Command pagefaults prints what a first touch of a fresh page of memory
// costs on this machine: it maps PAGES anonymous pages (default 4,096)
// and writes one byte to each, three times over fresh mappings, and
// prints the best time a page. On the shared VMs this project runs on it
// is about 11 µs (a bare-metal machine takes a fraction of a
// microsecond), which is why Warden's start-up there is mostly the pages
// it touches (see the README's performance notes).
//
// Usage: go run ./bench/pagefaults [PAGES]
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pagefaults: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	pages := 4096
	if len(args) > 0 {
		n, err := strconv.Atoi(args[0])
		if err != nil || n <= 0 {
			return fmt.Errorf("PAGES %q: not a count", args[0])
		}
		pages = n
	}
	size := os.Getpagesize()
	best := time.Duration(-1)
	for range 3 {
		mem, err := syscall.Mmap(-1, 0, pages*size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			return fmt.Errorf("mmap: %w", err)
		}
		start := time.Now()
		for i := 0; i < pages; i++ {
			mem[i*size] = 1
		}
		if d := time.Since(start); best < 0 || d < best {
			best = d
		}
		if err := syscall.Munmap(mem); err != nil {
			return fmt.Errorf("munmap: %w", err)
		}
	}
	fmt.Printf("first touch of a fresh %d-byte page: %.2f µs (best of 3 runs of %d pages)\n", size, float64(best)/float64(time.Microsecond)/float64(pages), pages)
	return nil
}
