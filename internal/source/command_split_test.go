package source

import (
	"reflect"
	"testing"
)

func TestSplitCommand(t *testing.T) {
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
		{in: "", want: nil},
		{in: `a 'b`, err: "no closing quotation"},
		{in: `a "b`, err: "no closing quotation"},
		{in: `a \`, err: "no escaped character"},
	} {
		got, err := SplitCommand(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("SplitCommand(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitCommand(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
}
