package daemon

import (
	"errors"
	"fmt"
	"os"

	"github.com/wardenipd/warden/internal/abuseipdb"

	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/mail"
)

// checkNative checks the parameters of a native action other than the
// firewall.
func checkNative(a config.Action, configDir string) error {
	switch a.Native {
	case "mail":
		_, err := newMailer(a, mail.Options{})
		return err
	case "abuseipdb":
		_, err := abuseipdb.SettingsFromParams(stringParams(a.Params), configDir, os.Getenv)
		if errors.Is(err, abuseipdb.ErrNoKey) {
			return nil // config warns of it: the jail runs, reporting nothing
		}
		return err
	}
	return fmt.Errorf("no native action %q", a.Native)
}
