package config

import (
	"testing"

	"go.uber.org/goleak"
)

// Load resolves jails on goroutines of its own; none may outlive it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
