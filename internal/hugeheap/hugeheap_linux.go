package hugeheap

import (
	"os"
	"reflect"
	"runtime/metrics"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Advise advises the heap chunk that holds obj, a pointer to a value the
// heap holds (nil: the process's arguments, which the runtime puts on the
// heap before any package is initialised), and returns what the kernel
// took; it never fails.
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
	r := Result{Chunk: at &^ (chunkSize - 1)}
	r.Advised = madvise(r.Chunk, chunkSize, unix.MADV_HUGEPAGE) == nil
	if !r.Advised {
		return r
	}
	// Both halves: the spans of the size classes spread the pages in use
	// over the chunk, and a region with a page in use gets no huge page
	// on a later fault. A half with none yet is not collapsed (EINVAL):
	// its first fault takes a huge page.
	for h := r.Chunk; h < r.Chunk+chunkSize; h += hugeSize {
		if madvise(h, hugeSize, unix.MADV_COLLAPSE) == nil {
			r.Collapsed++
		}
	}
	return r
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

// Grow makes sure that the heap has room bytes mapped and free, by the
// runtime's own statistics, before a phase that allocates about that
// much: when it has less, it allocates a block larger than all the free
// memory, which the runtime can place only in a chunk it maps for it, and
// advises that chunk (Advise). The phase's allocations then fill what was
// free, and the new chunk after the block. The block is never touched (it
// costs address space, not memory) and goes with the next collection.
func Grow(room uint64) Result {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	var free uint64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			free += x.Value.Uint64()
		}
	}
	if free >= room || os.Getpagesize() != pageSize {
		return Result{}
	}
	// a large object (over 32 KB) takes whole pages of its own
	block := make([]byte, free+64<<10)
	return Advise(&block[len(block)-1])
}
