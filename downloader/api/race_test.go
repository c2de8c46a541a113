//go:build race

package api

// raceEnabled: the race detector slows every memory access several times,
// most of all the JSON decoding of the load test's in-process clients.
const raceEnabled = true
