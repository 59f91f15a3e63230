//go:build race

package pyre

// raceEnabled trims the differential corpora: the race detector makes
// them about 20 times slower.
const raceEnabled = true
