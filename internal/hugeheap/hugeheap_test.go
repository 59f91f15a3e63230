//go:build linux

package hugeheap

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
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
