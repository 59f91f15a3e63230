//go:build linux

package hugeheap

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// anonHugeKB returns the AnonHugePages of the mapping of /proc/self/smaps
// that holds addr, in kB, and whether there is one.
func anonHugeKB(t *testing.T, addr uintptr) (int, bool) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-"); ok && !strings.HasSuffix(line, ":") {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			b, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = uintptr(a) <= addr && addr < uintptr(b)
				continue
			}
		}
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok && in {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("smaps: %q: %v", line, err)
			}
			return kb, true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return 0, false
}

// TestAdviseBacksTheHeapWithHugePages checks, on Linux, that the memory
// Advise reports holds the object it was given, and that the kernel then
// backs it with huge pages: the heap in use is collapsed.
func TestAdviseBacksTheHeapWithHugePages(t *testing.T) {
	if os.Getpagesize() != pageSize {
		t.Skipf("page size %d: Advise does nothing", os.Getpagesize())
	}
	obj := new([4096]byte) // escapes: Advise takes it as an interface
	r := Advise(obj)
	at := uintptr(unsafe.Pointer(obj))
	if r.Start == 0 || r.Start > at || at >= r.Start+uintptr(r.Size) || r.Start%hugeSize != 0 || r.Size%hugeSize != 0 {
		t.Fatalf("Advise(%#x) = %+v: not 2 MB-aligned memory that holds it", at, r)
	}
	if lo, hi, ok := mappingOf(at); !ok || r.Start < lo || r.Start+uintptr(r.Size) > hi {
		t.Errorf("Advise(%#x) = %+v: not within the mapping [%#x, %#x) that holds it", at, r, lo, hi)
	}
	if !r.Advised || r.Collapsed == 0 {
		// MADV_COLLAPSE needs Linux 6.1 and a kernel with THP.
		msg := "the kernel took no huge pages: " + strconv.FormatBool(r.Advised) + ", " + strconv.Itoa(r.Collapsed) + " collapsed"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	kb, ok := anonHugeKB(t, r.Start)
	if !ok {
		t.Fatalf("no mapping of /proc/self/smaps holds %#x", r.Start)
	}
	if kb < hugeSize>>10 {
		t.Errorf("the advised mapping has %d kB of huge pages after %d collapsed, want %d at least", kb, r.Collapsed, hugeSize>>10)
	}
	// The memory is as it was: the object still reads what it held.
	obj[0], obj[4095] = 1, 2
	if obj[0] != 1 || obj[4095] != 2 {
		t.Error("the object lost its contents")
	}
}

// TestAdviseWithoutAPointer checks that a value Advise cannot place gives
// the zero Result, and that nil stands for the process's arguments.
func TestAdviseWithoutAPointer(t *testing.T) {
	if r := Advise(42); r != (Result{}) {
		t.Errorf("Advise(42) = %+v, want nothing done", r)
	}
	if r := Advise((*int)(nil)); r != (Result{}) {
		t.Errorf("Advise((*int)(nil)) = %+v, want nothing done", r)
	}
	if os.Getpagesize() == pageSize {
		if r := Advise(nil); r.Start == 0 {
			t.Errorf("Advise(nil) = %+v, want the memory of the arguments", r)
		}
	}
}

// TestGrowMapsAChunk checks that Grow does nothing when the heap has the
// room asked for, and maps and advises a new chunk when it has not.
func TestGrowMapsAChunk(t *testing.T) {
	if os.Getpagesize() != pageSize {
		t.Skipf("page size %d: Grow does nothing", os.Getpagesize())
	}
	if r := Grow(0); r != (Result{}) {
		t.Errorf("Grow(0) = %+v, want nothing done", r)
	}
	before := freeHeap()
	r := Grow(before + 1)
	after := freeHeap()
	if r.Start == 0 || !r.Advised {
		t.Fatalf("Grow(%d) = %+v: no chunk advised", before+1, r)
	}
	if after <= before {
		t.Errorf("free heap %d before Grow, %d after: no chunk mapped", before, after)
	}
}

// TestMappingOfJoinsTheHeapsMappings checks that mappingOf gives the run
// of anonymous mappings next to each other that holds an address, as the
// runtime's heap chunks are once one of them is advised: three adjacent
// mappings the kernel keeps apart (the middle one advised) read as one.
func TestMappingOfJoinsTheHeapsMappings(t *testing.T) {
	const n = 3 * hugeSize
	mem, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(mem) })
	base := uintptr(unsafe.Pointer(&mem[0]))
	// a different advice for the middle third splits the mapping in three
	if err := unix.Madvise(mem[hugeSize:2*hugeSize], unix.MADV_NOHUGEPAGE); err != nil {
		// a kernel without transparent huge pages
		if os.Getenv("CI") == "true" {
			t.Fatalf("madvise: %v", err)
		}
		t.Skipf("madvise: %v", err)
	}
	for _, at := range []uintptr{base, base + hugeSize + 10, base + n - 1} {
		lo, hi, ok := mappingOf(at)
		if !ok || lo > base || hi < base+n {
			t.Errorf("mappingOf(%#x) = %#x, %#x, %v: want the three mappings [%#x, %#x)", at, lo, hi, ok, base, base+n)
		}
	}
	// a mapping of a file is its own
	f, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file, err := unix.Mmap(int(f.Fd()), 0, pageSize, unix.PROT_READ, unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(file) })
	at := uintptr(unsafe.Pointer(&file[0]))
	if lo, hi, ok := mappingOf(at); !ok || lo != at || hi != at+pageSize {
		t.Errorf("mappingOf(%#x) in a file's mapping = %#x, %#x, %v: want the mapping alone", at, lo, hi, ok)
	}
}

// TestParseMapping checks the reading of /proc/self/maps lines.
func TestParseMapping(t *testing.T) {
	for _, c := range []struct {
		line     string
		lo, hi   uintptr
		anon, ok bool
	}{
		{"3016bd800000-3016bdc00000 rw-p 00000000 00:00 0 ", 0x3016bd800000, 0x3016bdc00000, true, true},
		{"3016bd800000-3016bdc00000 rw-p 00000000 00:00 0", 0x3016bd800000, 0x3016bdc00000, true, true},
		{"7f0000000000-7f0000001000 ---p 00000000 00:00 0", 0x7f0000000000, 0x7f0000001000, false, true},
		{"00400000-00ca8000 r-xp 00000000 fd:01 1234 /usr/bin/warden", 0x400000, 0xca8000, false, true},
		{"7ffd1000-7ffd2000 rw-p 00000000 00:00 0 [stack]", 0x7ffd1000, 0x7ffd2000, false, true},
		{"01551000-016a0000 rw-p 01151000 fd:01 1234 /usr/bin/warden", 0x1551000, 0x16a0000, false, true},
		{"garbage", 0, 0, false, false},
		{"zz-10 rw-p 00000000 00:00 0", 0, 0, false, false},
	} {
		lo, hi, anon, ok := parseMapping([]byte(c.line))
		if lo != c.lo || hi != c.hi || anon != c.anon || ok != c.ok {
			t.Errorf("parseMapping(%q) = %#x, %#x, %v, %v; want %#x, %#x, %v, %v", c.line, lo, hi, anon, ok, c.lo, c.hi, c.anon, c.ok)
		}
	}
}
