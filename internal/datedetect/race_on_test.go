//go:build race

package datedetect

// raceEnabled loosens the time bounds of the tests: the race detector
// makes the matching engine several times slower.
const raceEnabled = true
