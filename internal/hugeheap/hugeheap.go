// Package hugeheap asks the kernel to back the start of the Go heap with
// transparent huge pages, for a short command whose time goes to page
// faults more than to work.
//
// A process that starts, compiles a filter's regexes and reads a log of a
// few megabytes touches its heap for the first time page by page: each
// 4 KB page costs a fault, about 10 µs on the virtual machines this was
// measured on (bench/pagefaults), against about 0.1 µs per 4 KB for a
// 2 MB huge page. The runtime maps its heap in aligned chunks of 4 MB
// and, since Go 1.21, leaves them to the kernel's default, which on most
// distributions gives huge pages only to memory that asks for them
// (/sys/kernel/mm/transparent_hugepage/enabled set to "madvise").
//
// Advise asks for them on the heap's mappings around a given object (the
// runtime maps its chunks next to each other, and the kernel keeps
// adjacent mappings of the same kind as one until one is advised; a chunk
// mapped after that is a mapping of its own, which the next Advise joins
// to the others: before it did, a run of warden regex now and then had
// its filter compiled in such a chunk, in 4 KB pages, 300 to 450 faults
// more, and still does more rarely, by the heap's randomised base:
// bench/faults.sh counts them run after run), and
// collapses the parts of it already in use into huge pages
// (MADV_COLLAPSE), so that the rest of it faults once per 2 MB.
// `warden regex` calls it twice: at its start, for what the runtime and
// the packages' initialisation allocated (the heap starts at a random
// place in its first chunk, and often already spans two), and once its
// filter is compiled, for the chunk the lines' work then allocates in.
// The heap's later chunks keep the default (the runtime maps each with a
// mapping of its own, which keeps none of the advice), but for one: Grow,
// between the two, has the runtime map the next chunk when the heap has
// less room left than compiling the filter takes, and advises it. The
// daemon keeps the default everywhere, as a long-lived process whose heap
// comes and goes would gain little and hold more memory.
//
// Nothing depends on it: where the kernel refuses (huge pages disabled,
// a kernel older than 6.1 without MADV_COLLAPSE, another page size), the
// heap is as it was. Advised memory is held 2 MB at a time, where its
// pages in use alone would be: a few megabytes more at most.
package hugeheap

// Result says what Advise did.
type Result struct {
	// Start and Size are the memory advised, 2 MB-aligned; Start is 0
	// for none.
	Start uintptr
	Size  int
	// Advised is true when the kernel took MADV_HUGEPAGE for it.
	Advised bool
	// Collapsed counts the 2 MB regions in use collapsed into huge pages.
	Collapsed int
}

// Sizes the runtime and the kernel use on linux/amd64 and arm64 with 4 KB
// pages.
const (
	chunkSize = 4 << 20 // the runtime's heap chunk (pallocChunkBytes), aligned
	hugeSize  = 2 << 20 // a transparent huge page (one PMD)
	pageSize  = 4 << 10
)
