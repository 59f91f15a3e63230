package shlex

import (
	"reflect"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "docker logs -f web", want: []string{"docker", "logs", "-f", "web"}},
		{in: "  a\t b\n", want: []string{"a", "b"}},
		{in: `sh -c 'echo a; echo "b"'`, want: []string{"sh", "-c", `echo a; echo "b"`}},
		{in: `a "b \" \\ \$ c" d`, want: []string{"a", `b " \ \$ c`, "d"}},
		{in: `a\ b \'c`, want: []string{"a b", "'c"}},
		{in: `a '' "" b`, want: []string{"a", "", "", "b"}},
		{in: `x'y'"z"`, want: []string{"xyz"}},
		{in: `_SYSTEMD_UNIT=sshd.service + _COMM=sshd`, want: []string{"_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd"}},
		{in: `_SYSTEMD_UNIT=sshd.service + "_COMM=ss hd" 'a\b' c\ d "e\"f"`, want: []string{"_SYSTEMD_UNIT=sshd.service", "+", "_COMM=ss hd", `a\b`, "c d", `e"f`}},
		{in: "", want: nil},
		{in: `a 'b`, err: "no closing quotation"},
		{in: `a "b`, err: "no closing quotation"},
		{in: `a \`, err: "no escaped character"},
		{in: `"a \`, err: "no escaped character"},
	} {
		got, err := Split(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("Split(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Split(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}
