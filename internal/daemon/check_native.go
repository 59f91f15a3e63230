package daemon

import (
	"fmt"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/mail"
)

// checkNative checks the parameters of a native action other than the
// firewall.
func checkNative(a config.Action) error {
	switch a.Native {
	case "mail":
		_, err := newMailer(a, mail.Options{})
		return err
	case "abuseipdb":
		return nil // checked by config: a missing key is a warning
	}
	return fmt.Errorf("no native action %q", a.Native)
}
