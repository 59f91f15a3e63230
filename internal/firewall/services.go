package firewall

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// ServiceTable maps service names and their aliases to ports, as
// /etc/services lists them.
type ServiceTable struct {
	ports map[string]uint16 // "name/proto"
	first map[string]uint16 // "name": the first port listed for any protocol
}

// Services reads a services(5) file, normally /etc/services.
func Services(path string) (*ServiceTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read services: %w", err)
	}
	defer f.Close()
	s, err := ParseServices(f)
	if err != nil {
		return nil, fmt.Errorf("read services %s: %w", path, err)
	}
	return s, nil
}

// ParseServices parses services(5) text: "name port/proto [aliases...]
// [# comment]". Malformed lines are skipped, as the C library does.
func ParseServices(r io.Reader) (*ServiceTable, error) {
	s := &ServiceTable{ports: map[string]uint16{}, first: map[string]uint16{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		num, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			continue
		}
		port, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			continue
		}
		names := append([]string{f[0]}, f[2:]...)
		for _, n := range names {
			k := n + "/" + strings.ToLower(proto)
			if _, dup := s.ports[k]; !dup {
				s.ports[k] = uint16(port)
			}
			if _, dup := s.first[n]; !dup {
				s.first[n] = uint16(port)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// Lookup returns the port of a service name for a protocol; proto ""
// means any protocol (the first port listed for the name).
func (s *ServiceTable) Lookup(name, proto string) (uint16, error) {
	var (
		p  uint16
		ok bool
	)
	if proto == "" {
		p, ok = s.first[name]
	} else {
		p, ok = s.ports[name+"/"+strings.ToLower(proto)]
	}
	if !ok {
		if proto == "" {
			return 0, fmt.Errorf("unknown service %q", name)
		}
		return 0, fmt.Errorf("unknown service %q for %s", name, proto)
	}
	return p, nil
}
