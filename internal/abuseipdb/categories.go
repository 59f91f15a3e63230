package abuseipdb

import (
	"fmt"
	"strconv"
	"strings"
)

// Category is a report category ID (doc §11). The API answers may carry
// IDs outside 1..23 (doc §2.2): they are kept, and Name returns "".
type Category int

// The categories of doc §11.
const (
	DNSCompromise  Category = 1
	DNSPoisoning   Category = 2
	FraudOrders    Category = 3
	DDoSAttack     Category = 4
	FTPBruteForce  Category = 5
	PingOfDeath    Category = 6
	Phishing       Category = 7
	FraudVoIP      Category = 8
	OpenProxy      Category = 9
	WebSpam        Category = 10
	EmailSpam      Category = 11
	BlogSpam       Category = 12
	VPNIP          Category = 13
	PortScan       Category = 14
	Hacking        Category = 15
	SQLInjection   Category = 16
	Spoofing       Category = 17
	BruteForce     Category = 18
	BadWebBot      Category = 19
	ExploitedHost  Category = 20
	WebAppAttack   Category = 21
	SSH            Category = 22
	IoTTargeted    Category = 23
	MinCategory             = DNSCompromise
	MaxCategory             = IoTTargeted
	MaxCategoryIDs          = 30 // the docs' "restrictions" for categories (doc §5.1)
)

// names returns the names of doc §11, indexed by ID (a function, not a
// package variable: no package-level mutable state).
func names() [24]string {
	return [...]string{
		"", "DNS Compromise", "DNS Poisoning", "Fraud Orders", "DDoS Attack", "FTP Brute-Force",
		"Ping of Death", "Phishing", "Fraud VoIP", "Open Proxy", "Web Spam", "Email Spam",
		"Blog Spam", "VPN IP", "Port Scan", "Hacking", "SQL Injection", "Spoofing",
		"Brute-Force", "Bad Web Bot", "Exploited Host", "Web App Attack", "SSH", "IoT Targeted",
	}
}

// Valid reports whether c is one of the 23 documented categories.
func (c Category) Valid() bool { return c >= MinCategory && c <= MaxCategory }

// Name is the category's name as abuseipdb.com writes it ("Brute-Force"),
// "" for an unknown ID.
func (c Category) Name() string {
	if !c.Valid() {
		return ""
	}
	return names()[c]
}

// Slug is the name in lower case with hyphens ("brute-force",
// "web-app-attack"), as ParseCategories accepts it.
func (c Category) Slug() string { return slug(c.Name()) }

func (c Category) String() string {
	if n := c.Name(); n != "" {
		return n
	}
	return "category " + strconv.Itoa(int(c))
}

func slug(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "-", "_", "-").Replace(s)
}

// alias returns the category of an extra spelling ParseCategories
// accepts, 0 if none.
func alias(s string) Category {
	switch s {
	case "ddos":
		return DDoSAttack
	case "bruteforce":
		return BruteForce
	case "vpn":
		return VPNIP
	case "iot":
		return IoTTargeted
	case "sqli":
		return SQLInjection
	case "portscan":
		return PortScan
	case "web-attack":
		return WebAppAttack
	}
	return 0
}

// ParseCategories reads a list such as "18,22" or "ssh,brute-force"
// (numbers, names or slugs, case-insensitive, separated by commas or
// semicolons: "Web App Attack, SSH" works too). It refuses an
// empty list, an unknown name, an ID outside 1..23 and more than 30
// entries; repeated entries are kept once, in order.
func ParseCategories(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("abuseipdb: categories: %w: empty list", ErrInvalid)
	}
	var out []int
	seen := map[int]bool{}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		var c Category
		if n, err := strconv.Atoi(f); err == nil {
			c = Category(n)
			if !c.Valid() {
				return nil, fmt.Errorf("abuseipdb: categories: %w: %q is not a category ID (1-23)", ErrInvalid, CutUTF8(f, 40))
			}
		} else {
			c = categoryBySlug(slug(f))
			if c == 0 {
				return nil, fmt.Errorf("abuseipdb: categories: %w: unknown category %q", ErrInvalid, CutUTF8(f, 40))
			}
		}
		if !seen[int(c)] {
			seen[int(c)] = true
			out = append(out, int(c))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("abuseipdb: categories: %w: empty list", ErrInvalid)
	}
	if len(out) > MaxCategoryIDs {
		return nil, fmt.Errorf("abuseipdb: categories: %w: more than %d", ErrInvalid, MaxCategoryIDs)
	}
	return out, nil
}

func categoryBySlug(s string) Category {
	for c := MinCategory; c <= MaxCategory; c++ {
		if c.Slug() == s {
			return c
		}
	}
	return alias(s)
}

// checkCategories validates the IDs of a report: at least one, each in
// 1..23, at most 30; it returns them de-duplicated.
func checkCategories(endpoint string, cats []int) ([]int, error) {
	if len(cats) == 0 {
		return nil, invalidf(endpoint, "no category")
	}
	var out []int
	seen := map[int]bool{}
	for _, n := range cats {
		if !Category(n).Valid() {
			return nil, invalidf(endpoint, "category %d is not in 1-23", n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) > MaxCategoryIDs {
		return nil, invalidf(endpoint, "more than %d categories", MaxCategoryIDs)
	}
	return out, nil
}

// JoinCategories writes IDs as the API wants them: "18,22".
func JoinCategories(cats []int) string {
	parts := make([]string, len(cats))
	for i, n := range cats {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}
