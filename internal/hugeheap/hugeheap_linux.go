package hugeheap

import (
	"bytes"
	"os"
	"reflect"
	"runtime/metrics"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Advise advises the heap mapping that holds obj, a pointer to a value
// the heap holds (nil: the process's arguments, which the runtime puts on
// the heap before any package is initialised), up to maxAdvise on each
// side of it, and returns what the kernel took; it never fails.
func Advise(obj any) Result {
	at := uintptr(0)
	switch v := reflect.ValueOf(obj); {
	case obj == nil && len(os.Args) > 0:
		at = uintptr(unsafe.Pointer(&os.Args[0]))
	case obj != nil && v.Kind() == reflect.Pointer:
		at = v.Pointer()
	}
	if at == 0 || os.Getpagesize() != pageSize {
		return Result{}
	}
	// The chunk of at, and those the runtime mapped next to it (one
	// mapping with it until advised): the heap at start-up often spans
	// two chunks, as it starts at a random place in the first.
	chunk := at &^ (chunkSize - 1)
	lo, hi := chunk, chunk+chunkSize
	if mlo, mhi, ok := mappingOf(at); ok {
		floor := uintptr(0)
		if chunk > maxAdvise {
			floor = chunk - maxAdvise
		}
		lo, hi = max(mlo, floor), min(mhi, chunk+chunkSize+maxAdvise)
	}
	lo = (lo + hugeSize - 1) &^ (hugeSize - 1)
	hi &^= hugeSize - 1
	if hi <= lo {
		return Result{}
	}
	r := Result{Start: lo, Size: int(hi - lo)}
	r.Advised = madvise(lo, r.Size, unix.MADV_HUGEPAGE) == nil
	if !r.Advised {
		return r
	}
	// Every region: the spans of the size classes spread the pages in
	// use, and a region with a page in use gets no huge page on a later
	// fault. A region with none yet is not collapsed (EINVAL): its first
	// fault takes a huge page.
	for h := lo; h < hi; h += hugeSize {
		if madvise(h, hugeSize, unix.MADV_COLLAPSE) == nil {
			r.Collapsed++
		}
	}
	return r
}

// maxAdvise bounds the memory Advise advises on each side of the chunk
// it starts from.
const maxAdvise = 2 * chunkSize

// mappingOf returns the bounds of the memory of /proc/self/maps that
// holds addr: its mapping, and when that is the heap's (anonymous,
// private, readable and writable), the heap's mappings next to it. The
// runtime maps each new chunk of the heap next to the last with a
// mapping of its own, which the kernel keeps apart from an advised one:
// a chunk mapped after an Advise is the next one's to advise, and the
// heap's free memory is often there.
func mappingOf(addr uintptr) (lo, hi uintptr, ok bool) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, 0, false
	}
	run, found := false, false // [lo, hi) is a run of heap mappings
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		a, z, anon, parsed := parseMapping(line)
		if !parsed {
			continue
		}
		// the lines are in the order of the addresses
		next := run && anon && a == hi
		if found && !next {
			return lo, hi, true
		}
		switch {
		case next:
			hi = z
		case anon:
			lo, hi, run = a, z, true
		default:
			run = false
		}
		if a <= addr && addr < z {
			if !anon {
				return a, z, true
			}
			found = true
		}
	}
	return lo, hi, found
}

// parseMapping reads a line of /proc/self/maps, "lo-hi perms offset dev
// inode path" (bounds in hexadecimal): its bounds, and whether it is
// anonymous memory the process reads and writes privately.
func parseMapping(line []byte) (lo, hi uintptr, anon, ok bool) {
	f := bytes.Fields(line)
	if len(f) < 5 {
		return 0, 0, false, false
	}
	l, h, found := bytes.Cut(f[0], []byte("-"))
	if !found {
		return 0, 0, false, false
	}
	a, err1 := strconv.ParseUint(string(l), 16, 64)
	z, err2 := strconv.ParseUint(string(h), 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false, false
	}
	anon = string(f[1]) == "rw-p" && string(f[4]) == "0" && len(f) == 5
	return uintptr(a), uintptr(z), anon, true
}

// Grow makes sure that the heap has room bytes mapped and free, by the
// runtime's own statistics, before a phase that allocates about that
// much: when it has less, it allocates a block larger than all the free
// memory, which the runtime can place only in a chunk it maps for it, and
// advises that chunk (Advise). The phase's allocations then fill what was
// free, and the new chunk after the block. The block is never touched (it
// costs address space, not memory) and goes with the next collection.
func Grow(room uint64) Result {
	free := freeHeap()
	if free >= room || os.Getpagesize() != pageSize {
		return Result{}
	}
	// a large object (over 32 KB) takes whole pages of its own
	block := make([]byte, free+64<<10)
	return Advise(&block[len(block)-1])
}

// freeHeap returns the heap's mapped memory that holds no object, free
// or released to the kernel (or never touched), by the runtime's metrics.
func freeHeap() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	var free uint64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			free += x.Value.Uint64()
		}
	}
	return free
}

// madvise gives advice on the memory from addr (page-aligned) for n
// bytes. The addresses go to the system call as integers: the memory is
// the heap's, and no Go pointer is made of them.
func madvise(addr uintptr, n int, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, addr, uintptr(n), uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
