package pyre

// PrefilterString describes the prefilter, for the external tests.
func (re *Regexp) PrefilterString() string { return re.pf.String() }
