package daemon

import (
	"fmt"

	"github.com/wardenipd/warden/internal/action"
	"github.com/wardenipd/warden/internal/config"
	"github.com/wardenipd/warden/internal/firewall"
)

// CheckActions reports the actions of a jail that Warden cannot run as
// configured (a port name unknown to /etc/services, a blocktype it cannot
// enforce, a shell command whose tags do not resolve, a Python action),
// as `warden config check` shows them (configDir: where relative key
// files are); the daemon leaves such actions
// out and logs why.
func CheckActions(j *config.Jail, configDir string) []error {
	var lookup firewall.LookupFunc
	if st, err := firewall.Services(servicesFile); err == nil {
		lookup = st.Lookup
	}
	var errs []error
	for _, a := range j.Actions {
		var err error
		switch {
		case a.Native == "nftables" || a.Native == "iptables":
			// Its errors name the action file.
			if _, err := firewall.RuleFromParams(a.File, stringParams(a.Params), lookup); err != nil {
				errs = append(errs, fmt.Errorf("jail [%s]: %w", j.Name, err))
			}
			continue
		case a.Native != "":
			err = checkNative(a, configDir)
		case a.Python:
			err = fmt.Errorf("Python actions (%s) do not run in Warden", a.File)
		default:
			_, err = action.New(j.Name+"/"+a.Name, a.Params, action.Options{})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("jail [%s]: action %s: %w", j.Name, a.Name, err))
		}
	}
	return errs
}
